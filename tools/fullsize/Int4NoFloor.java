import java.nio.file.Path;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.runtime.conformance.QuantizedTolerance;

/** By hand, full size only: an int4 export of random weights, validated and recorded but with the floors at 0. */
public class Int4NoFloor {
  public static void main(String[] a) {
    QuantScheme scheme = QuantScheme.parse("int4", 32, true, QuantScheme.defaultAccuracyLevel("int4"));
    QuantizeOptions q = new QuantizeOptions(scheme, false, new QuantizedTolerance(-1, 0, 0, 0, 0.10))
        .withQuantizeEmbeddings(a.length > 2 && a[2].equals("emb"));
    long t0 = System.nanoTime();
    PackageExporter.Result r = new PackageExporter(ExportOptions.defaults().withQuantize(q))
        .export(Path.of(a[0]), Path.of(a[1]));
    System.out.printf("exported %s in %.1f s, %.1f MB%n", r.directory(), (System.nanoTime() - t0) / 1e9,
        PackageExporter.sizeOf(r.directory()) / 1e6);
    System.out.println(r.conformance());
  }
}
