package io.gradflow.analysis;

import java.util.Locale;

/**
 * The one way gradflow writes a duration for people: m:ss, or h:mm:ss from an hour on. The sweep's summary line,
 * its progress lines and the report all use it, so the same wall time reads the same everywhere.
 */
public final class Durations {

    private Durations() {
    }

    /** The duration rounded to whole seconds, as m:ss or h:mm:ss. */
    public static String clock(long millis) {
        long s = Math.round(millis / 1000.0);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
