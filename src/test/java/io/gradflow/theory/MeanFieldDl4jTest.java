package io.gradflow.theory;

import io.gradflow.grid.Activation;
import io.gradflow.model.NetworkFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The theory's φ and φ' are the functions the networks compute: checked against DL4J in double precision. */
class MeanFieldDl4jTest {

    @ParameterizedTest
    @EnumSource(Activation.class)
    void phiAndDerivativeMatchDl4j(Activation a) {
        int n = 161;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = -8 + 0.1 * i + 0.0123; // avoids the kink at exactly 0
        }
        IActivation fn = NetworkFactory.activation(a);
        INDArray in = Nd4j.create(x, new long[]{1, n}, DataType.DOUBLE);
        double[] out = fn.getActivation(in.dup(), true).toDoubleVector();
        double[] grad = fn.backprop(in.dup(), Nd4j.ones(DataType.DOUBLE, 1, n)).getFirst().toDoubleVector();
        for (int i = 0; i < n; i++) {
            assertThat(MeanField.phi(a, x[i])).as("%s(%s)", a, x[i]).isCloseTo(out[i], within(1e-6));
            assertThat(MeanField.dphi(a, x[i])).as("%s'(%s)", a, x[i]).isCloseTo(grad[i], within(1e-6));
        }
    }
}
