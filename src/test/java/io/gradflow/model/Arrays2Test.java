package io.gradflow.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The copies the statistics read: row-major where it matters, every value exactly once everywhere. */
class Arrays2Test {

    private static double[] sorted(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s;
    }

    private static double[] rowMajor(INDArray a) {
        double[] out = new double[(int) a.length()];
        for (int r = 0; r < a.rows(); r++) {
            for (int c = 0; c < a.columns(); c++) {
                out[r * a.columns() + c] = a.getDouble(r, c);
            }
        }
        return out;
    }

    @Test
    void toDoublesIsRowMajorForEveryLayout() {
        INDArray c = Nd4j.rand(DataType.FLOAT, 5, 3);
        INDArray f = c.dup('f');
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 'f', 3L, 5L).transpose();
        INDArray flat = Nd4j.rand(DataType.FLOAT, 1, 40);
        INDArray paramView = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 25)).reshape('f', 5, 3);
        INDArray strided = Nd4j.rand(DataType.DOUBLE, 10, 3).get(NDArrayIndex.interval(0, 2, 10), NDArrayIndex.all());
        for (INDArray a : new INDArray[]{c, f, transposed, paramView, strided}) {
            assertThat(Arrays2.toDoubles(a)).as("layout %s", a.shapeInfoToString()).containsExactly(rowMajor(a));
        }
    }

    @Test
    void valuesHoldEveryElementOnceWhateverTheOrder() {
        INDArray flat = Nd4j.rand(DataType.FLOAT, 1, 64 * 3);
        // a weight matrix is a Fortran-order view into the network's flattened parameters
        INDArray paramView = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(64, 128)).reshape('f', 8, 8);
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 'f', 8L, 16L).transpose();
        INDArray strided = Nd4j.rand(DataType.FLOAT, 12, 4).get(NDArrayIndex.interval(0, 3, 12), NDArrayIndex.all());
        for (INDArray a : new INDArray[]{paramView, transposed, strided, Nd4j.rand(DataType.DOUBLE, 4, 6)}) {
            assertThat(sorted(Arrays2.values(a))).as("layout %s", a.shapeInfoToString()).containsExactly(sorted(rowMajor(a)));
        }
        // the same view read twice gives element-wise corresponding values (the update ratio relies on it)
        double[] before = Arrays2.values(paramView);
        paramView.muli(2);
        double[] after = Arrays2.values(paramView);
        for (int i = 0; i < before.length; i++) {
            assertThat(after[i]).isEqualTo((double) (float) (2 * before[i]));
        }
    }
}
