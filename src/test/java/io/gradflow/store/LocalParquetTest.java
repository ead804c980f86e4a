package io.gradflow.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The driver-side Parquet reader and writer, file by file (LocalFinishIT compares it with Spark's writer). */
class LocalParquetTest {

    private static final Configuration CONF = new Configuration();
    private static final StructType ELEMENT = new StructType().add("step", DataTypes.IntegerType, false)
            .add("v", DataTypes.DoubleType, true);
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("n", DataTypes.IntegerType, true)
            .add("big", DataTypes.LongType, true)
            .add("x", DataTypes.DoubleType, true)
            .add("flag", DataTypes.BooleanType, true)
            .add("at", DataTypes.TimestampType, true);

    @TempDir
    Path tmp;

    private static Timestamp micros(long micros) {
        Timestamp t = new Timestamp(Math.floorDiv(micros, 1000L));
        t.setNanos((int) Math.floorMod(micros, 1_000_000L) * 1000);
        return t;
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create("a", 1, 1L << 40, 0.1, true, micros(1_764_620_000_123_456L)));
        rows.add(RowFactory.create("b", null, null, null, null, null));
        rows.add(RowFactory.create("c", -7, -3L, -0.0, false, micros(-86_400_000_001L))); // before 1970, not on a day boundary
        rows.add(RowFactory.create("d", Integer.MAX_VALUE, Long.MIN_VALUE, Double.MAX_VALUE, true, micros(0)));
        rows.add(RowFactory.create("é ü 漢", 0, 0L, 1e-300, false, micros(253_402_300_799_999_999L))); // 9999-12-31
        return rows;
    }

    private static List<List<Object>> values(List<Row> rows) {
        List<List<Object>> out = new ArrayList<>();
        for (Row r : rows) {
            List<Object> v = new ArrayList<>();
            for (int i = 0; i < r.length(); i++) {
                v.add(r.get(i));
            }
            out.add(v);
        }
        return out;
    }

    private List<Path> dataFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
    }

    @Test
    void everyTypeRoundTripsWithBothTimestampEncodingsNullsIncluded() {
        for (LocalParquet.Timestamps ts : LocalParquet.Timestamps.values()) {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(tmp.resolve("d-" + ts).toString());
            LocalParquet.writeDataset(CONF, dir, SCHEMA, rows(), 1, new LocalParquet.Settings("3.5.0", ts));
            List<Row> back = LocalParquet.readDataset(CONF, dir, SCHEMA);
            assertThat(values(back)).as(ts.name()).isEqualTo(values(rows()));
            assertThat(back.get(2).getDouble(3)).isEqualTo(-0.0); // the sign of zero survives
            assertThat(1 / back.get(2).getDouble(3)).isNegative();
        }
    }

    @Test
    void timestampsAreStoredAsSparkStoresThem() throws Exception {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(tmp.resolve("int96").toString());
        LocalParquet.writeDataset(CONF, dir, SCHEMA, rows(), 1, new LocalParquet.Settings("3.5.0", LocalParquet.Timestamps.INT96));
        Path file = dataFiles(tmp.resolve("int96")).get(0);
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toString()), CONF))) {
            MessageType t = r.getFooter().getFileMetaData().getSchema();
            assertThat(t.getName()).isEqualTo("spark_schema");
            assertThat(t.getType("at").asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveType.PrimitiveTypeName.INT96);
            assertThat(t.getType("id").isRepetition(org.apache.parquet.schema.Type.Repetition.REQUIRED)).isTrue();
            assertThat(t.getType("n").isRepetition(org.apache.parquet.schema.Type.Repetition.OPTIONAL)).isTrue();
            assertThat(r.getFooter().getFileMetaData().getKeyValueMetaData())
                    .containsEntry(LocalParquet.SPARK_SCHEMA_KEY, SCHEMA.json())
                    .containsEntry(LocalParquet.SPARK_VERSION_KEY, "3.5.0");
            assertThat(r.getRowGroups().get(0).getColumns().get(0).getCodec().name()).isEqualTo("SNAPPY");
        }
        assertThat(LocalParquet.schemaOf(CONF, new org.apache.hadoop.fs.Path(file.toString()))).isEqualTo(SCHEMA);
        assertThat(Files.exists(tmp.resolve("int96/_SUCCESS"))).isTrue();
    }

    @Test
    void rowsAreSplitIntoConsecutiveFilesAsSparkSlicesAList() throws Exception {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(tmp.resolve("split").toString());
        LocalParquet.writeDataset(CONF, dir, SCHEMA, rows(), 2, new LocalParquet.Settings("3.5.0", LocalParquet.Timestamps.INT96));
        List<Path> files = dataFiles(tmp.resolve("split"));
        assertThat(files).hasSize(2);
        // ParallelCollectionRDD's slices of 5 rows in 2: [0, 2) and [2, 5)
        assertThat(LocalParquet.read(CONF, new org.apache.hadoop.fs.Path(files.get(0).toString()), SCHEMA))
                .extracting(r -> r.getString(0)).containsExactly("a", "b");
        assertThat(LocalParquet.read(CONF, new org.apache.hadoop.fs.Path(files.get(1).toString()), SCHEMA))
                .extracting(r -> r.getString(0)).containsExactly("c", "d", "é ü 漢");
        List<org.apache.hadoop.fs.Path> hp = files.stream().map(p -> new org.apache.hadoop.fs.Path(p.toString())).toList();
        assertThat(LocalParquet.count(CONF, hp).rows()).isEqualTo(5);
        // no file is left under its hidden temporary name
        try (Stream<Path> s = Files.list(tmp.resolve("split"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp"));
        }
    }

    @Test
    void anExistingFolderIsRefusedAndKept() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("there"));
        Files.writeString(d.resolve("keep.txt"), "x");
        assertThatThrownBy(() -> LocalParquet.writeDataset(CONF, new org.apache.hadoop.fs.Path(d.toString()), SCHEMA, rows(), 1,
                new LocalParquet.Settings("3.5.0", LocalParquet.Timestamps.INT96)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("already exists");
        assertThat(Files.readString(d.resolve("keep.txt"))).isEqualTo("x");
    }

    @Test
    void listsOfStructsRoundTripAndTheirValuesAreCountedFromTheFooter() throws Exception {
        StructType nested = new StructType().add("id", DataTypes.StringType, false)
                .add("points", DataTypes.createArrayType(ELEMENT, true), true);
        List<Row> rows = List.of(
                RowFactory.create("a", List.of(RowFactory.create(0, 1.5), RowFactory.create(5, null))),
                RowFactory.create("b", List.of()),
                RowFactory.create("c", null),
                RowFactory.create("d", List.of(RowFactory.create(7, -2.0))));
        Path d = Files.createDirectories(tmp.resolve("nested"));
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(d.toString());
        List<org.apache.hadoop.fs.Path> written = LocalParquet.writeFiles(CONF, dir, nested, rows, 1,
                new LocalParquet.Settings("3.5.0", LocalParquet.Timestamps.MICROS));
        List<Row> back = LocalParquet.read(CONF, written.get(0), nested);
        assertThat(back).hasSize(4);
        assertThat(((List<?>) back.get(0).get(1))).extracting(e -> values(List.of((Row) e)).get(0))
                .containsExactly(List.of(0, 1.5), java.util.Arrays.asList(5, null));
        assertThat((List<?>) back.get(1).get(1)).isEmpty();
        assertThat(back.get(2).isNullAt(1)).isTrue();
        assertThat(((List<?>) back.get(3).get(1))).hasSize(1);
        // three elements, plus one value each for the empty and the null list
        LocalParquet.FooterCount c = LocalParquet.count(CONF, written, "points.list.element.step");
        assertThat(c.rows()).isEqualTo(4);
        assertThat(c.values()).isEqualTo(5);
        assertThat(LocalParquet.schemaOf(CONF, written.get(0))).isEqualTo(nested);
    }

    @Test
    void aJournalPartWithoutSparksFooterKeyReadsAsThePartSchemaItsParquetTypesSpell() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("parts"));
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(d.toString());
        org.apache.hadoop.fs.Path part = Parts.write(CONF, dir, "s", List.of(), "t");
        assertThat(LocalParquet.schemaOf(CONF, part)).isEqualTo(Parts.schema());
    }

    @Test
    void thePartWritersWarmUpWritesAnEmptyPartAndLeavesNothingBehind() throws Exception {
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<Long> left = () -> {
            try (java.util.stream.Stream<Path> s = Files.list(temp)) {
                return s.filter(p -> p.getFileName().toString().startsWith("gradflow-warm-up")).count();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        long before = left.get();
        assertThat(Parts.warmUp()).isNull();
        assertThat(left.get()).isEqualTo(before);
    }
}
