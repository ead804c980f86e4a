package io.gradflow.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        INDArray doubleView = Nd4j.rand(DataType.DOUBLE, 1, 64 * 3).get(NDArrayIndex.point(0), NDArrayIndex.interval(100, 164))
                .reshape('f', 8, 8); // the same in a double network (a view at an offset, read in bulk)
        for (INDArray a : new INDArray[]{paramView, doubleView, transposed, strided, Nd4j.rand(DataType.DOUBLE, 4, 6)}) {
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

    private static double[] linear(INDArray v) {
        double[] out = new double[(int) v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.getDouble(i);
        }
        return out;
    }

    @Test
    void vectorsAreReadAndWrittenInPlaceThroughTheirViews() {
        INDArray flat = Nd4j.rand(DataType.FLOAT, 1, 40);
        // a batch-norm parameter: a [1, n] row view into the flattened parameters, at an offset
        INDArray row = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 18)).reshape(1, 8);
        INDArray strided = Nd4j.rand(DataType.DOUBLE, 6, 5).getColumn(3); // rank 1, stride 5
        for (INDArray v : new INDArray[]{row, strided, Nd4j.rand(DataType.DOUBLE, 7)}) {
            assertThat(Arrays2.vector(v)).as("layout %s", v.shapeInfoToString()).containsExactly(linear(v));
            double[] w = new double[(int) v.length()];
            for (int i = 0; i < w.length; i++) {
                w[i] = i - 2.5;
            }
            Arrays2.setVector(v, w);
            assertThat(linear(v)).containsExactly(w);
        }
        // writing the row view changed exactly its slice of the flattened array
        assertThat(flat.getDouble(0, 9)).isNotEqualTo(-2.5);
        assertThat(flat.getDouble(0, 10)).isEqualTo(-2.5);
        assertThat(flat.getDouble(0, 17)).isEqualTo(4.5);
        assertThatThrownBy(() -> Arrays2.vector(Nd4j.rand(DataType.FLOAT, 3, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[3, 3]");
        assertThatThrownBy(() -> Arrays2.setVector(row, new double[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 values");
    }

    @Test
    void rowMajorArraysAreReadAndFilledWholeWhateverTheirBuffer() {
        INDArray parent = Nd4j.rand(DataType.FLOAT, 6, 4);
        INDArray rowsView = parent.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()); // a buffer at an offset
        for (INDArray a : new INDArray[]{Nd4j.rand(DataType.FLOAT, 5, 3), Nd4j.rand(DataType.DOUBLE, 4, 6), rowsView}) {
            double[] got = Arrays2.readInto(a, new double[2]); // too small: grown
            assertThat(java.util.Arrays.copyOf(got, (int) a.length())).as("layout %s", a.shapeInfoToString())
                    .containsExactly(rowMajor(a));
            double[] w = new double[(int) a.length() + 3]; // longer than needed: only the first values are used
            for (int i = 0; i < w.length; i++) {
                w[i] = 0.25 * i - 1;
            }
            Arrays2.writeFrom(w, a);
            assertThat(rowMajor(a)).containsExactly(java.util.Arrays.copyOf(w, (int) a.length()));
        }
        // what a training step allocates takes the direct route: plain arrays and workspace arrays
        assertThat(Arrays2.direct(Nd4j.rand(DataType.FLOAT, 5, 3))).isTrue();
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "arrays2-test")) {
            Nd4j.createUninitialized(DataType.FLOAT, 10); // so the next array does not start the workspace
            INDArray inWs = Nd4j.createUninitialized(DataType.FLOAT, 4, 8);
            assertThat(Arrays2.direct(inWs)).isTrue();
            double[] w = new double[32];
            for (int i = 0; i < 32; i++) {
                w[i] = i;
            }
            Arrays2.writeFrom(w, inWs);
            assertThat(inWs.getDouble(3, 7)).isEqualTo(31.0);
            assertThat(Arrays2.readInto(inWs, null)).containsExactly(w);
        }
        // the view wrote rows 2-4 of its parent and nothing else
        assertThat(parent.getDouble(2, 0)).isEqualTo(-1.0);
        assertThat(parent.getDouble(1, 3)).isNotEqualTo(-1.0 + 0.25 * 11);
        assertThatThrownBy(() -> Arrays2.readInto(Nd4j.rand(DataType.FLOAT, 'f', 3, 2), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("C-order");
        assertThatThrownBy(() -> Arrays2.writeFrom(new double[2], Nd4j.rand(DataType.FLOAT, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from 2");
    }
}
