package io.gradflow.cli;

import io.gradflow.trial.Versions;
import picocli.CommandLine;

/** {@code --version}: gradflow and the libraries it was built against. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[]{"gradflow " + Versions.gradflow(),
                "Deeplearning4j " + Versions.dl4j() + ", Spark " + Versions.sparkBuilt() + ", Java " + Versions.java()};
    }
}
