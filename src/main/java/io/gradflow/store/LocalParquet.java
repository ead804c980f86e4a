package io.gradflow.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Small Parquet datasets read and written on the driver, without a Spark job: what a sweep of a few thousand trials
 * finishes with (its journal read back, its datasets written, its analysis read), where each Spark query on a fresh
 * JVM costs about a second of planning for kilobytes of data. The files are the ones Spark's own writer makes for
 * the same rows: the same Parquet types (timestamps as INT96, Spark's default, or as INT64 microseconds where the
 * journal uses those), SNAPPY compression, Spark's schema in the footer under Spark's key, {@code part-NNNNN-…}
 * names and a {@code _SUCCESS} marker, so Spark, DuckDB and pandas read them exactly as Spark-written ones
 * ({@code AnalysisIT} writes one journal both ways and compares schemas, rows and Parquet schemas). All file access
 * goes through Hadoop's {@link FileSystem}, so the datasets may live on HDFS or an object store as well.
 *
 * <p>Rows are Spark {@link Row}s with their schema; an array of structs is held as a {@code java.util.List} of
 * rows (these rows never enter a Spark plan).
 */
public final class LocalParquet {

    /** The footer key under which Spark records a file's Spark schema (as JSON). */
    static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
    /** The footer key under which Spark records the version that wrote a file. */
    static final String SPARK_VERSION_KEY = "org.apache.spark.version";
    private static final int JULIAN_DAY_OF_EPOCH = 2_440_588;
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    private LocalParquet() {
    }

    /** How a timestamp column is stored. */
    public enum Timestamps {
        /** 12-byte INT96 (Julian day and nanoseconds of the day): what Spark writes by default. */
        INT96,
        /** INT64 microseconds since the epoch, UTC-adjusted: the journal's parts. */
        MICROS
    }

    // ---------------------------------------------------------------- schema

    /** The Parquet schema Spark writes for {@code schema}, nested arrays of structs as 3-level lists. */
    public static MessageType messageType(String name, StructType schema, Timestamps timestamps) {
        List<Type> fields = new ArrayList<>();
        for (StructField f : schema.fields()) {
            fields.add(type(f, timestamps));
        }
        return new MessageType(name, fields);
    }

    private static Type type(StructField f, Timestamps timestamps) {
        Type.Repetition rep = f.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
        DataType t = f.dataType();
        if (t instanceof ArrayType a && a.elementType() instanceof StructType element) {
            List<Type> inner = new ArrayList<>();
            for (StructField e : element.fields()) {
                inner.add(type(e, timestamps));
            }
            return Types.buildGroup(rep).as(LogicalTypeAnnotation.listType())
                    .addField(Types.repeatedGroup().addField(Types.optionalGroup().addFields(inner.toArray(Type[]::new))
                            .named("element")).named("list"))
                    .named(f.name());
        }
        PrimitiveType.PrimitiveTypeName p;
        LogicalTypeAnnotation logical = null;
        if (t.equals(DataTypes.StringType)) {
            p = PrimitiveType.PrimitiveTypeName.BINARY;
            logical = LogicalTypeAnnotation.stringType();
        } else if (t.equals(DataTypes.IntegerType)) {
            p = PrimitiveType.PrimitiveTypeName.INT32;
        } else if (t.equals(DataTypes.LongType)) {
            p = PrimitiveType.PrimitiveTypeName.INT64;
        } else if (t.equals(DataTypes.DoubleType)) {
            p = PrimitiveType.PrimitiveTypeName.DOUBLE;
        } else if (t.equals(DataTypes.BooleanType)) {
            p = PrimitiveType.PrimitiveTypeName.BOOLEAN;
        } else if (t.equals(DataTypes.TimestampType) && timestamps == Timestamps.INT96) {
            p = PrimitiveType.PrimitiveTypeName.INT96;
        } else if (t.equals(DataTypes.TimestampType)) {
            p = PrimitiveType.PrimitiveTypeName.INT64;
            logical = LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS);
        } else {
            throw new IllegalStateException("column " + f.name() + " has type " + t + ", which the Parquet writer does not know");
        }
        Types.PrimitiveBuilder<PrimitiveType> b = Types.primitive(p, rep);
        return (logical == null ? b : b.as(logical)).named(f.name());
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes Spark rows of one schema straight to Parquet's record consumer, with the field layout
     * {@link #messageType} gives: no intermediate objects per value, no lookups by name. Null values are left out;
     * an array of structs is a {@code java.util.List} of rows.
     */
    static final class RowWriteSupport extends WriteSupport<Row> {
        private enum Kind { STRING, INT, LONG, DOUBLE, BOOLEAN, TIMESTAMP_INT96, TIMESTAMP_MICROS, LIST }

        /** How to write each field of one struct. */
        private record Plan(String[] names, Kind[] kinds, Plan[] elements) {
        }

        private final MessageType type;
        private final Map<String, String> meta;
        private final Plan plan;
        private final byte[] int96 = new byte[12];
        private RecordConsumer out;

        RowWriteSupport(StructType schema, MessageType type, Map<String, String> meta, Timestamps timestamps) {
            this.type = type;
            this.meta = meta;
            this.plan = plan(schema, timestamps);
        }

        private static Plan plan(StructType schema, Timestamps timestamps) {
            StructField[] f = schema.fields();
            String[] names = new String[f.length];
            Kind[] kinds = new Kind[f.length];
            Plan[] elements = new Plan[f.length];
            for (int i = 0; i < f.length; i++) {
                names[i] = f[i].name();
                DataType t = f[i].dataType();
                if (t instanceof ArrayType a && a.elementType() instanceof StructType e) {
                    kinds[i] = Kind.LIST;
                    elements[i] = plan(e, timestamps);
                } else if (t.equals(DataTypes.StringType)) {
                    kinds[i] = Kind.STRING;
                } else if (t.equals(DataTypes.IntegerType)) {
                    kinds[i] = Kind.INT;
                } else if (t.equals(DataTypes.LongType)) {
                    kinds[i] = Kind.LONG;
                } else if (t.equals(DataTypes.DoubleType)) {
                    kinds[i] = Kind.DOUBLE;
                } else if (t.equals(DataTypes.BooleanType)) {
                    kinds[i] = Kind.BOOLEAN;
                } else if (t.equals(DataTypes.TimestampType)) {
                    kinds[i] = timestamps == Timestamps.INT96 ? Kind.TIMESTAMP_INT96 : Kind.TIMESTAMP_MICROS;
                } else {
                    throw new IllegalStateException("column " + names[i] + " has type " + t + ", which the Parquet writer does not know");
                }
            }
            return new Plan(names, kinds, elements);
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(type, meta);
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            out = recordConsumer;
        }

        @Override
        public void write(Row row) {
            out.startMessage();
            fields(row, plan);
            out.endMessage();
        }

        private void fields(Row row, Plan p) {
            for (int i = 0; i < p.names.length; i++) {
                Object v = row.get(i);
                if (v == null) {
                    continue;
                }
                String n = p.names[i];
                out.startField(n, i);
                switch (p.kinds[i]) {
                    case STRING -> out.addBinary(Binary.fromString((String) v));
                    case INT -> out.addInteger((Integer) v);
                    case LONG -> out.addLong((Long) v);
                    case DOUBLE -> out.addDouble((Double) v);
                    case BOOLEAN -> out.addBoolean((Boolean) v);
                    case TIMESTAMP_MICROS -> out.addLong(micros((Timestamp) v));
                    case TIMESTAMP_INT96 -> {
                        // Spark's INT96: nanoseconds of the day, then the Julian day, both little-endian
                        long micros = micros((Timestamp) v);
                        long nanos = Math.floorMod(micros, MICROS_PER_DAY) * 1000L;
                        int day = (int) (Math.floorDiv(micros, MICROS_PER_DAY) + JULIAN_DAY_OF_EPOCH);
                        java.nio.ByteBuffer.wrap(int96).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(nanos).putInt(day);
                        out.addBinary(Binary.fromReusedByteArray(int96));
                    }
                    case LIST -> {
                        out.startGroup();
                        List<?> list = (List<?>) v;
                        if (!list.isEmpty()) {
                            out.startField("list", 0);
                            for (Object e : list) {
                                out.startGroup();
                                if (e != null) {
                                    out.startField("element", 0);
                                    out.startGroup();
                                    fields((Row) e, p.elements[i]);
                                    out.endGroup();
                                    out.endField("element", 0);
                                }
                                out.endGroup();
                            }
                            out.endField("list", 0);
                        }
                        out.endGroup();
                    }
                    default -> throw new IllegalStateException("unknown kind " + p.kinds[i]);
                }
                out.endField(n, i);
            }
        }
    }

    /** A Parquet writer of rows through {@link RowWriteSupport}. */
    private static final class RowWriterBuilder extends ParquetWriter.Builder<Row, RowWriterBuilder> {
        private final RowWriteSupport support;

        RowWriterBuilder(org.apache.parquet.io.OutputFile file, RowWriteSupport support) {
            super(file);
            this.support = support;
        }

        @Override
        protected RowWriterBuilder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return support;
        }
    }

    /**
     * A writer of {@code schema}'s rows to {@code file} (SNAPPY, overwriting), with Spark's footer keys when
     * {@code sparkVersion} is not null.
     */
    public static ParquetWriter<Row> writer(Configuration conf, Path file, String messageName, StructType schema,
                                            Timestamps timestamps, String sparkVersion) throws IOException {
        MessageType type = messageType(messageName, schema, timestamps);
        Map<String, String> meta = sparkVersion == null ? Map.of()
                : Map.of(SPARK_SCHEMA_KEY, schema.json(), SPARK_VERSION_KEY, sparkVersion);
        return new RowWriterBuilder(HadoopOutputFile.fromPath(file, conf), new RowWriteSupport(schema, type, meta, timestamps))
                .withConf(conf).withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build();
    }

    /**
     * Writes {@code rows}, in their order, to a new dataset folder {@code dir} as {@code files} Parquet files of
     * consecutive rows (sizes differing by at most one, as Spark slices a parallelized list; at least one file,
     * empty if there are no rows) and a {@code _SUCCESS} marker: the layout Spark's writer leaves.
     *
     * @throws UncheckedIOException when {@code dir} exists already or a file cannot be written
     */
    public static void writeDataset(Configuration conf, Path dir, StructType schema, List<Row> rows, int files,
                                    Settings settings) {
        try {
            FileSystem fs = dir.getFileSystem(conf);
            if (fs.exists(dir)) {
                throw new IOException("path " + dir + " already exists");
            }
            fs.mkdirs(dir);
            writeFiles(conf, dir, schema, rows, files, settings);
            fs.create(new Path(dir, "_SUCCESS"), false).close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the dataset " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds {@code files} Parquet files of consecutive {@code rows} to the existing folder {@code dir}, each written
     * under a hidden temporary name and renamed once closed, so a reader never sees half a file. Returns them.
     */
    public static List<Path> writeFiles(Configuration conf, Path dir, StructType schema, List<Row> rows, int files,
                                        Settings settings) throws IOException {
        String job = UUID.randomUUID().toString();
        int n = Math.max(1, files);
        FileSystem fs = dir.getFileSystem(conf);
        List<Path> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int from = (int) ((long) rows.size() * k / n);
            int to = (int) ((long) rows.size() * (k + 1) / n);
            String name = String.format(java.util.Locale.ROOT, "part-%05d-%s-c000.snappy.parquet", k, job);
            Path tmp = new Path(dir, "." + name + ".tmp");
            try (ParquetWriter<Row> w = writer(conf, tmp, "spark_schema", schema, settings.timestamps(), settings.sparkVersion())) {
                for (int i = from; i < to; i++) {
                    w.write(rows.get(i));
                }
            }
            Path target = new Path(dir, name);
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename to " + target + " returned false");
            }
            out.add(target);
        }
        return out;
    }

    /**
     * What the driver-side writer needs of the session to write the files Spark would: its version (recorded in
     * each footer) and how it stores timestamps.
     *
     * @param sparkVersion the session's Spark version
     * @param timestamps   {@code spark.sql.parquet.outputTimestampType}
     */
    public record Settings(String sparkVersion, Timestamps timestamps) {
        public Settings {
            java.util.Objects.requireNonNull(sparkVersion, "sparkVersion");
            java.util.Objects.requireNonNull(timestamps, "timestamps");
        }

        /**
         * The session's settings, or empty when it writes Parquet in a way this writer does not reproduce (a codec
         * other than SNAPPY, millisecond timestamps, Spark's legacy format): then Spark writes.
         */
        public static java.util.Optional<Settings> of(org.apache.spark.sql.SparkSession spark) {
            org.apache.spark.sql.RuntimeConfig c = spark.conf();
            String codec = c.get("spark.sql.parquet.compression.codec", "snappy").trim();
            String ts = c.get("spark.sql.parquet.outputTimestampType", "INT96").trim();
            boolean legacy = Boolean.parseBoolean(c.get("spark.sql.parquet.writeLegacyFormat", "false").trim());
            if (!codec.equalsIgnoreCase("snappy") || legacy) {
                return java.util.Optional.empty();
            }
            if (ts.equalsIgnoreCase("INT96")) {
                return java.util.Optional.of(new Settings(spark.version(), Timestamps.INT96));
            } else if (ts.equalsIgnoreCase("TIMESTAMP_MICROS")) {
                return java.util.Optional.of(new Settings(spark.version(), Timestamps.MICROS));
            }
            return java.util.Optional.empty();
        }
    }

    // ---------------------------------------------------------------- reading

    /** The data files of a dataset folder, sorted by name (Spark's hidden and marker files left out). */
    public static List<Path> dataFiles(FileSystem fs, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (FileStatus st : fs.listStatus(dir)) {
            String n = st.getPath().getName();
            if (st.isFile() && n.endsWith(".parquet") && !n.startsWith(".") && !n.startsWith("_")) {
                out.add(st.getPath());
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * The Spark schema of a Parquet file: the one Spark recorded in its footer, or else the one its Parquet types
     * spell (strings, 32- and 64-bit integers, doubles, booleans, timestamps, lists of structs).
     */
    public static StructType schemaOf(Configuration conf, Path file) {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            String json = r.getFooter().getFileMetaData().getKeyValueMetaData().get(SPARK_SCHEMA_KEY);
            if (json != null) {
                return (StructType) DataType.fromJson(json);
            }
            return sparkType(r.getFooter().getFileMetaData().getSchema());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the footer of " + file + ": " + e.getMessage(), e);
        }
    }

    private static StructType sparkType(GroupType g) {
        List<StructField> fields = new ArrayList<>();
        for (Type t : g.getFields()) {
            boolean nullable = !t.isRepetition(Type.Repetition.REQUIRED);
            DataType d;
            if (!t.isPrimitive()) {
                GroupType element = t.asGroupType().getType(0).asGroupType().getType(0).asGroupType();
                d = DataTypes.createArrayType(sparkType(element), true);
            } else {
                PrimitiveType p = t.asPrimitiveType();
                d = switch (p.getPrimitiveTypeName()) {
                    case BINARY -> DataTypes.StringType;
                    case INT32 -> DataTypes.IntegerType;
                    case INT64 -> p.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation
                            ? DataTypes.TimestampType : DataTypes.LongType;
                    case INT96 -> DataTypes.TimestampType;
                    case DOUBLE -> DataTypes.DoubleType;
                    case FLOAT -> DataTypes.FloatType;
                    case BOOLEAN -> DataTypes.BooleanType;
                    default -> throw new IllegalStateException("column " + t.getName() + " has Parquet type "
                            + p.getPrimitiveTypeName() + ", which the Parquet reader does not know");
                };
            }
            fields.add(DataTypes.createStructField(t.getName(), d, nullable));
        }
        return DataTypes.createStructType(fields);
    }

    /**
     * Every row of {@code file}, with {@code schema}'s columns looked up by name: a column the file lacks reads as
     * null.
     */
    public static List<Row> read(Configuration conf, Path file, StructType schema) {
        List<Row> out = new ArrayList<>();
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
            for (Group g = r.read(); g != null; g = r.read()) {
                out.add(row(g, schema));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The rows of every data file of the dataset folder {@code dir}, file by file in name order. */
    public static List<Row> readDataset(Configuration conf, Path dir, StructType schema) {
        try {
            List<Row> out = new ArrayList<>();
            for (Path f : dataFiles(dir.getFileSystem(conf), dir)) {
                out.addAll(read(conf, f, schema));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not list the dataset " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * What the footers of some Parquet files say, without reading their data.
     *
     * @param rows   records
     * @param values leaf values of the columns asked for: for a list column one per element, and one for each
     *               empty or null list
     */
    public record FooterCount(long rows, long values) {
    }

    /** Sums records and the leaf values of {@code columns} (dotted paths) over the footers of {@code files}. */
    public static FooterCount count(Configuration conf, List<Path> files, String... columns) {
        java.util.Set<String> wanted = java.util.Set.of(columns);
        long rows = 0;
        long values = 0;
        for (Path f : files) {
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(f, conf))) {
                for (BlockMetaData b : r.getFooter().getBlocks()) {
                    rows += b.getRowCount();
                    for (ColumnChunkMetaData c : b.getColumns()) {
                        if (wanted.contains(c.getPath().toDotString())) {
                            values += c.getValueCount();
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not read the footer of " + f + ": " + e.getMessage(), e);
            }
        }
        return new FooterCount(rows, values);
    }

    private static Row row(Group g, StructType schema) {
        StructField[] f = schema.fields();
        Object[] v = new Object[f.length];
        GroupType gt = g.getType();
        for (int i = 0; i < f.length; i++) {
            String n = f[i].name();
            if (!gt.containsField(n)) {
                continue;
            }
            int k = gt.getFieldIndex(n);
            if (g.getFieldRepetitionCount(k) == 0) {
                continue;
            }
            v[i] = value(g, k, gt.getType(k), f[i]);
        }
        return new GenericRowWithSchema(v, schema);
    }

    private static Object value(Group g, int k, Type t, StructField f) {
        DataType d = f.dataType();
        if (d instanceof ArrayType a && a.elementType() instanceof StructType element) {
            Group list = g.getGroup(k, 0);
            int n = list.getFieldRepetitionCount(0);
            List<Row> out = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
                Group wrapper = list.getGroup(0, j);
                out.add(wrapper.getFieldRepetitionCount(0) == 0 ? null : row(wrapper.getGroup(0, 0), element));
            }
            return out;
        }
        PrimitiveType p = t.asPrimitiveType();
        if (d.equals(DataTypes.StringType)) {
            return g.getString(k, 0);
        } else if (d.equals(DataTypes.IntegerType)) {
            return g.getInteger(k, 0);
        } else if (d.equals(DataTypes.LongType)) {
            return g.getLong(k, 0);
        } else if (d.equals(DataTypes.DoubleType)) {
            return p.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FLOAT ? (double) g.getFloat(k, 0) : g.getDouble(k, 0);
        } else if (d.equals(DataTypes.FloatType)) {
            return g.getFloat(k, 0);
        } else if (d.equals(DataTypes.BooleanType)) {
            return g.getBoolean(k, 0);
        } else if (d.equals(DataTypes.TimestampType)) {
            long micros;
            if (p.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT96) {
                NanoTime nt = NanoTime.fromBinary(g.getInt96(k, 0));
                micros = (nt.getJulianDay() - (long) JULIAN_DAY_OF_EPOCH) * MICROS_PER_DAY + nt.getTimeOfDayNanos() / 1000L;
            } else if (p.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts
                    && ts.getUnit() == LogicalTypeAnnotation.TimeUnit.MILLIS) {
                micros = g.getLong(k, 0) * 1000L;
            } else {
                micros = g.getLong(k, 0);
            }
            Timestamp out = new Timestamp(Math.floorDiv(micros, 1000L));
            out.setNanos((int) Math.floorMod(micros, 1_000_000L) * 1000);
            return out;
        }
        throw new IllegalStateException("column " + f.name() + " has type " + d + ", which the Parquet reader does not know");
    }

    private static long micros(Timestamp t) {
        return Math.floorDiv(t.getTime(), 1000L) * 1_000_000L + t.getNanos() / 1000;
    }
}
