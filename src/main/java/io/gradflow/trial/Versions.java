package io.gradflow.trial;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Versions of gradflow and the libraries it was built with, from a resource filtered by Maven at build time. */
public final class Versions {

    private static final Properties P = load();

    private Versions() {
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/gradflow.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Versions are provenance, not function: a missing resource leaves them "unknown".
        }
        return p;
    }

    public static String gradflow() {
        return P.getProperty("version", "unknown");
    }

    public static String dl4j() {
        return P.getProperty("dl4j.version", "unknown");
    }

    public static String sparkBuilt() {
        return P.getProperty("spark.version", "unknown");
    }

    public static String java() {
        return System.getProperty("java.version");
    }
}
