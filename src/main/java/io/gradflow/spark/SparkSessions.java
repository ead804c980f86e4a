package io.gradflow.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/** Creates the session of a gradflow command: the user's settings first, gradflow's defaults under them. */
public final class SparkSessions {

    private SparkSessions() {
    }

    /**
     * @param master   {@code --master}, or null to keep {@code spark.master} from spark-submit, else {@code local[*]}
     * @param conf     {@code --conf k=v} settings, passed through unchanged
     * @param appName  application name shown in Spark's UI
     */
    public static SparkSession create(String master, Map<String, String> conf, String appName) {
        SparkConf sc = new SparkConf(true); // true: picks up spark.* system properties set by spark-submit
        conf.forEach(sc::set);
        if (master != null) {
            sc.setMaster(master);
        } else if (!sc.contains("spark.master")) {
            sc.setMaster(SparkSettings.DEFAULT_MASTER);
        }
        if (!sc.contains("spark.app.name")) {
            sc.setAppName(appName);
        }
        SparkSettings.defaults().forEach((k, v) -> {
            if (!sc.contains(k)) {
                sc.set(k, v);
            }
        });
        return SparkSession.builder().config(sc).getOrCreate();
    }
}
