package io.gradflow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads real CSV and Parquet files through one local Spark session shared by the class. */
class DatasetLoaderIT {

    private static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("DatasetLoaderIT")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static String csv(String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, List.of(lines));
        return file.toString();
    }

    private static DatasetSpec csvSpec(String path, String label) {
        return new DatasetSpec(DatasetKind.CSV, 0, 0, 0, 0, 0.25, 1, path, label);
    }

    private static DatasetSpec parquetSpec(String path, String label) {
        return new DatasetSpec(DatasetKind.PARQUET, 0, 0, 0, 0, 0.25, 1, path, label);
    }

    private static String parquet(String name, StructType schema, List<Row> rows) {
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(path);
        return path;
    }

    private static StructType schema(Object... nameTypePairs) {
        StructType s = new StructType();
        for (int i = 0; i < nameTypePairs.length; i += 2) {
            s = s.add((String) nameTypePairs[i], (org.apache.spark.sql.types.DataType) nameTypePairs[i + 1]);
        }
        return s;
    }

    private static void assertFails(DatasetSpec spec, String message) {
        assertThatThrownBy(() -> DatasetLoader.load(spark, spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void loadsCsvWithStringLabelsSortedToIndices() throws IOException {
        String path = csv("animals.csv",
                "a,species,b",
                "1.5,dog,2",
                "-3,cat,4e1",
                " 0 ,bird,6",
                "7,cat,8");
        DatasetLoader.Table t = DatasetLoader.load(spark, csvSpec(path, "species"));
        assertThat(t.featureNames()).containsExactly("a", "b");
        assertThat(t.classNames()).containsExactly("bird", "cat", "dog");
        assertThat(t.examples().features()).isEqualTo(2);
        assertThat(t.examples().classes()).isEqualTo(3);
        assertThat(t.examples().x()).containsExactly(1.5f, 2f, -3f, 40f, 0f, 6f, 7f, 8f);
        assertThat(t.examples().y()).containsExactly(2, 1, 0, 1);
    }

    @Test
    void numericLabelsSortByValueAndEqualValuesAreOneClass() throws IOException {
        String path = csv("numeric-labels.csv",
                "x,y",
                "1,10",
                "2,2",
                "3,2.0",
                "4,-1");
        DatasetLoader.Table t = DatasetLoader.load(spark, csvSpec(path, "y"));
        assertThat(t.classNames()).containsExactly("-1", "2", "10");
        assertThat(t.examples().y()).containsExactly(2, 1, 1, 0);
    }

    @Test
    void loadsParquetDirectoryAndSingleFileWithTypedColumns() throws IOException {
        StructType schema = schema("i", DataTypes.IntegerType, "d", DataTypes.DoubleType,
                "label", DataTypes.LongType, "s", DataTypes.StringType);
        String path = parquet("typed.parquet", schema, List.of(
                RowFactory.create(1, 0.5, 7L, "3"),
                RowFactory.create(2, 1.5, 3L, "4.25"),
                RowFactory.create(3, 2.5, 7L, "-1")));
        DatasetLoader.Table fromDir = DatasetLoader.load(spark, parquetSpec(path, "label"));
        assertThat(fromDir.featureNames()).containsExactly("i", "d", "s");
        assertThat(fromDir.classNames()).containsExactly("3", "7");
        assertThat(fromDir.examples().x()).containsExactly(1f, 0.5f, 3f, 2f, 1.5f, 4.25f, 3f, 2.5f, -1f);
        assertThat(fromDir.examples().y()).containsExactly(1, 0, 1);

        String file;
        try (Stream<Path> files = Files.list(Path.of(path))) {
            file = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow().toString();
        }
        DatasetLoader.Table fromFile = DatasetLoader.load(spark, parquetSpec(file, "label"));
        assertThat(fromFile.examples().x()).isEqualTo(fromDir.examples().x());
        assertThat(fromFile.examples().y()).isEqualTo(fromDir.examples().y());
    }

    @Test
    void buildsASplitStandardizedDatasetFromCsv() throws IOException {
        String[] lines = new String[41];
        lines[0] = "f1,f2,label";
        for (int i = 1; i <= 40; i++) {
            lines[i] = i + "," + (i * i) + "," + (i % 2 == 0 ? "even" : "odd");
        }
        DatasetSpec spec = csvSpec(csv("forty.csv", lines), "label");
        Dataset d = Datasets.build(spec, spark);
        assertThat(d.name()).isEqualTo(spec.canonical());
        assertThat(d.features()).isEqualTo(2);
        assertThat(d.classes()).isEqualTo(2);
        assertThat(d.testSize()).isEqualTo(10);
        assertThat(d.trainSize()).isEqualTo(30);
        double sum = 0;
        for (int i = 0; i < d.trainSize(); i++) {
            sum += d.trainX()[2 * i];
        }
        assertThat(sum / d.trainSize()).isBetween(-1e-5, 1e-5);
    }

    @Test
    void missingPathIsReported() {
        String path = dir.resolve("nope.csv").toString();
        assertFails(csvSpec(path, "y"), "dataset.path '" + path + "' does not exist.");
    }

    @Test
    void pathsGoThroughHadoopFileSystems() {
        assertThatThrownBy(() -> DatasetLoader.load(spark, csvSpec("nosuchfs://host/data.csv", "y")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset.path 'nosuchfs://host/data.csv' cannot be read: No FileSystem for scheme \"nosuchfs\"");
    }

    @Test
    void aCsvGivenAsParquetIsOneLineNamingTheMixUp() throws IOException {
        String path = csv("not-parquet.csv", "a,y", "1,2", "3,4");
        assertFails(parquetSpec(path, "y"), "dataset.path '" + path + "' is not a Parquet file (it does not start with "
                + "Parquet's 'PAR1' marker), but dataset.kind is 'parquet'; it is text: if it is a CSV, set kind: csv.");
    }

    @Test
    void aParquetFileOrDirectoryGivenAsCsvIsOneLineNamingTheMixUp() {
        String dirPath = parquet("as-csv", schema("a", DataTypes.DoubleType, "y", DataTypes.IntegerType),
                List.of(RowFactory.create(1.0, 0), RowFactory.create(2.0, 1)));
        assertFails(csvSpec(dirPath, "y"), "dataset.path '" + dirPath + "' is a Parquet file, but dataset.kind is 'csv'; "
                + "set kind: parquet.");
    }

    @Test
    void aBinaryFileGivenAsCsvIsRejected() throws IOException {
        Path file = dir.resolve("binary.csv");
        Files.write(file, new byte[]{1, 2, 0, 3, 'a', ',', 'y', '\n'});
        assertFails(csvSpec(file.toString(), "y"), "dataset.path '" + file + "' is not a text file, so it cannot be "
                + "dataset.kind 'csv' (a CSV with a header row).");
    }

    @Test
    void unknownLabelColumnListsTheColumns() throws IOException {
        String path = csv("abc.csv", "a,b,c", "1,2,3", "4,5,6");
        assertFails(csvSpec(path, "y"), "dataset.label 'y' is not a column of '" + path + "'; its columns are a, b, c.");
    }

    @Test
    void labelMatchIsExactNotCaseInsensitive() throws IOException {
        String path = csv("case.csv", "a,Label", "1,x", "2,y");
        assertFails(csvSpec(path, "label"), "dataset.label 'label' is not a column of '" + path + "'; its columns are a, Label.");
    }

    @Test
    void nonNumericCellIsReportedWithItsRow() throws IOException {
        String path = csv("text.csv", "a,b,y", "1,2,p", "3,4,q", "5,abc,p");
        assertFails(csvSpec(path, "y"), "dataset column 'b' of '" + path + "' is not numeric (row 3 has 'abc').");
    }

    @Test
    void nonNumericParquetTypeIsReported() {
        String path = parquet("time.parquet", schema("a", DataTypes.DoubleType, "when", DataTypes.TimestampType,
                "y", DataTypes.StringType), List.of(
                RowFactory.create(1.0, new Timestamp(0), "p"),
                RowFactory.create(2.0, new Timestamp(1000), "q")));
        assertFails(parquetSpec(path, "y"), "dataset column 'when' of '" + path + "' is not numeric (its type is timestamp).");
    }

    @Test
    void missingFeatureValueIsReportedWithItsRow() throws IOException {
        String path = csv("gap.csv", "a,b,y", "1,2,p", "3,4,q", "5,6,p", "7,8,q", "9,10,p", "11,12,q", "13,,p");
        assertFails(csvSpec(path, "y"), "dataset column 'b' of '" + path + "' has a missing value in row 7.");
    }

    @Test
    void missingValueInParquetIsReported() {
        String path = parquet("null.parquet", schema("a", DataTypes.DoubleType, "y", DataTypes.StringType), List.of(
                RowFactory.create(1.0, "p"),
                RowFactory.create(null, "q")));
        assertFails(parquetSpec(path, "y"), "dataset column 'a' of '" + path + "' has a missing value in row 2.");
    }

    @Test
    void missingLabelIsReportedWithItsRow() throws IOException {
        String path = csv("nolabel.csv", "a,y", "1,p", "2,", "3,q");
        assertFails(csvSpec(path, "y"), "dataset column 'y' of '" + path + "' has a missing value in row 2.");
    }

    @Test
    void nonFiniteValueIsReported() throws IOException {
        String path = csv("nan.csv", "a,y", "1,p", "NaN,q");
        assertFails(csvSpec(path, "y"),
                "dataset column 'a' of '" + path + "' has a value in row 2 ('NaN') that is not a finite 32-bit number.");
    }

    @Test
    void singleClassIsRejected() throws IOException {
        String path = csv("one-class.csv", "a,y", "1,same", "2,same", "3,same");
        assertFails(csvSpec(path, "y"), "dataset.label 'y' of '" + path
                + "' has only one distinct value ('same'); a classification needs at least 2 classes.");
    }

    @Test
    void singleRowIsRejected() throws IOException {
        String path = csv("one-row.csv", "a,y", "1,p");
        assertFails(csvSpec(path, "y"), "dataset '" + path
                + "' has 1 data row(s); at least 2 are needed to split it into training and test data.");
    }

    @Test
    void headerOnlyIsRejected() throws IOException {
        String path = csv("header-only.csv", "a,y");
        assertFails(csvSpec(path, "y"), "dataset '" + path
                + "' has 0 data row(s); at least 2 are needed to split it into training and test data.");
    }

    @Test
    void labelOnlyTableHasNoFeatures() throws IOException {
        String path = csv("label-only.csv", "y", "p", "q");
        assertFails(csvSpec(path, "y"), "dataset '" + path + "' has no feature columns; its only column is the label 'y'.");
    }
}
