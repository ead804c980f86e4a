package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ExactSumTest {

    private static ExactSum of(double... v) {
        ExactSum s = new ExactSum();
        for (double x : v) {
            s.add(x);
        }
        return s;
    }

    @Test
    void cancellationThatAFloatingPointSumLosesIsExact() {
        assertThat(1e16 + 1.0 - 1e16).isNotEqualTo(1.0);
        ExactSum s = of(1e16, 1.0, -1e16);
        assertThat(s.sum()).isEqualTo(1.0);
        assertThat(s.count()).isEqualTo(3);
        assertThat(of(Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE).sum()).isEqualTo(Double.MAX_VALUE);
        assertThat(of(Double.MIN_VALUE, Double.MIN_VALUE).sum()).isEqualTo(2 * Double.MIN_VALUE);
        assertThat(of(0.1, 0.2).sum()).isEqualTo(new BigDecimal(0.1).add(new BigDecimal(0.2)).doubleValue());
    }

    @Test
    void nonFiniteValuesAreLeftOutAndNotCounted() {
        ExactSum s = of(2, Double.NaN, 4, Double.NEGATIVE_INFINITY);
        assertThat(s.count()).isEqualTo(2);
        assertThat(s.mean()).isEqualTo(3.0);
        assertThat(s.variance()).isEqualTo(2.0);
        assertThat(of().mean()).isNaN();
        assertThat(of(5).variance()).isNaN();
        assertThat(of(1.5, 1.5, 1.5).variance()).isZero();
    }

    @Test
    void meanAndVarianceAreTheExactValuesRoundedOnce() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 2 + r.nextInt(40);
            double[] v = new double[n];
            BigDecimal sum = BigDecimal.ZERO;
            for (int i = 0; i < n; i++) {
                v[i] = (r.nextDouble() - 0.3) * Math.pow(10, r.nextInt(12) - 6);
                sum = sum.add(new BigDecimal(v[i]));
            }
            BigDecimal nn = BigDecimal.valueOf(n);
            BigDecimal mean = sum.divide(nn, new MathContext(200));
            BigDecimal ss = BigDecimal.ZERO;
            for (double x : v) {
                BigDecimal dev = new BigDecimal(x).subtract(mean);
                ss = ss.add(dev.multiply(dev));
            }
            ExactSum s = of(v);
            assertThat(s.sum()).isEqualTo(sum.doubleValue());
            assertThat(s.mean()).isEqualTo(mean.doubleValue());
            assertThat(s.variance()).isEqualTo(ss.divide(BigDecimal.valueOf(n - 1), new MathContext(200)).doubleValue());
        }
    }

    @Test
    void anyOrderOfAdditionAndMergingGivesTheSameBits() {
        Random r = new Random(11);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            values.add(r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10));
        }
        ExactSum reference = new ExactSum();
        values.forEach(reference::add);
        for (int round = 0; round < 20; round++) {
            Collections.shuffle(values, r);
            int cut1 = r.nextInt(values.size());
            int cut2 = cut1 + r.nextInt(values.size() - cut1);
            ExactSum a = new ExactSum();
            ExactSum b = new ExactSum();
            ExactSum c = new ExactSum();
            values.subList(0, cut1).forEach(a::add);
            values.subList(cut1, cut2).forEach(b::add);
            values.subList(cut2, values.size()).forEach(c::add);
            ExactSum merged = round % 2 == 0 ? c.merge(a.merge(b)) : a.merge(c).merge(b);
            assertThat(merged.count()).isEqualTo(reference.count());
            assertThat(Double.doubleToRawLongBits(merged.sum())).isEqualTo(Double.doubleToRawLongBits(reference.sum()));
            assertThat(Double.doubleToRawLongBits(merged.mean())).isEqualTo(Double.doubleToRawLongBits(reference.mean()));
            assertThat(Double.doubleToRawLongBits(merged.variance())).isEqualTo(Double.doubleToRawLongBits(reference.variance()));
        }
        // A floating-point running sum of the same values does depend on the order: that is what ExactSum removes.
        double forward = 0;
        for (double v : values) {
            forward += v;
        }
        double backward = 0;
        for (int i = values.size() - 1; i >= 0; i--) {
            backward += values.get(i);
        }
        assertThat(forward).isNotEqualTo(backward);
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        ExactSum s = of(1.25, -3.5, 1e-300, 7e200);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        ExactSum back;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ExactSum) in.readObject();
        }
        assertThat(back.count()).isEqualTo(4);
        assertThat(back.sum()).isEqualTo(s.sum());
        assertThat(back.variance()).isEqualTo(s.variance());
    }

    @Test
    void survivesSparksKryoEncoderAsTheAggregatesStoreTheirBuffers() {
        // through Spark's own Kryo setup (the serializer its Encoders.kryo uses), a buffer of several chunks, an
        // overflowed square and an empty sum; and merged after the round trip as before it
        org.apache.spark.serializer.SerializerInstance kryo = new org.apache.spark.serializer.KryoSerializer(
                new org.apache.spark.SparkConf()).newInstance();
        scala.reflect.ClassTag<ExactSum> tag = scala.reflect.ClassTag$.MODULE$.apply(ExactSum.class);
        for (ExactSum s : List.of(of(1.25, -3.5, 1e-300, 7e200), of(3e160, 1.0), new ExactSum())) {
            ExactSum back = kryo.deserialize(kryo.serialize(s, tag), tag);
            assertThat(back.count()).isEqualTo(s.count());
            assertThat(Double.doubleToLongBits(back.sum())).isEqualTo(Double.doubleToLongBits(s.sum()));
            assertThat(Double.doubleToLongBits(back.variance())).isEqualTo(Double.doubleToLongBits(s.variance()));
            ExactSum other = of(0.1, 0.2, -5e-310);
            assertThat(Double.doubleToLongBits(back.merge(other).mean()))
                    .isEqualTo(Double.doubleToLongBits(s.merge(of(0.1, 0.2, -5e-310)).mean()));
        }
    }

    @Test
    void gradflowsKryoRegistratorRegistersItForClustersThatRequireRegistration() {
        org.apache.spark.SparkConf strict = new org.apache.spark.SparkConf().set("spark.kryo.registrationRequired", "true");
        scala.reflect.ClassTag<ExactSum> tag = scala.reflect.ClassTag$.MODULE$.apply(ExactSum.class);
        org.apache.spark.serializer.SerializerInstance bare = new org.apache.spark.serializer.KryoSerializer(strict).newInstance();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bare.serialize(of(1.0), tag)).hasMessageContaining("not registered");
        org.apache.spark.serializer.SerializerInstance registered = new org.apache.spark.serializer.KryoSerializer(strict.clone()
                .set("spark.kryo.registrator", io.gradflow.spark.GradflowKryoRegistrator.class.getName())).newInstance();
        ExactSum s = of(1.25, -3.5, 1e-300);
        assertThat(registered.deserialize(registered.serialize(s, tag), tag).mean()).isEqualTo(s.mean());
    }
}
