package io.gradflow.store;

import org.apache.spark.sql.SparkSession;

/**
 * gradflow's own Spark settings ({@code spark.gradflow.*}) that hold a count: read from the session with their
 * default, and refused with one line naming the setting and the value when they are not a whole number of 0 or
 * more. One place, so that every such setting says the same thing about bad input.
 */
public final class Settings {

    private Settings() {
    }

    /** The session's value of {@code key}, {@code dflt} where it is not set; {@code unit} names what it counts. */
    public static long count(SparkSession spark, String key, long dflt, String unit) {
        return count(key, spark.conf().get(key, Long.toString(dflt)), unit);
    }

    /** {@code value} of setting {@code key} as a count of {@code unit}, or the one-line refusal. */
    public static long count(String key, String value, String unit) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(key + " '" + value + "' is not a whole number of " + unit + " (0 or more)");
    }
}
