// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of style.md §2 and §3.8 as a build gate, over the main classes of every product
 * module (cli's test class path sees them all): no package cycles, the layers point down, cli never
 * talks the wire protocol, the wal-receiver module knows nothing of basebackup or cli, every public
 * top-level type has javadoc, and every package of a JPMS module is named in its {@code
 * module-info.java}.
 */
class ArchitectureTest {

  /**
   * The main classes of wal-receiver, basebackup, embedded and cli: no tests, no testkit, no
   * libraries.
   */
  private static final ImportOption PRODUCT_MAIN_CLASSES =
      location ->
          !location.contains("/test-classes/")
              && !location.contains("/testkit/")
              && (location.contains("/wal-receiver")
                  || location.contains("/basebackup")
                  || location.contains("/embedded")
                  || location.contains("/archive")
                  || location.contains("/cli/"));

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(PRODUCT_MAIN_CLASSES)
            .importPackages("io.jwalreceiver");
    // Guards the import itself: a rule over no classes passes vacuously.
    assertThat(classes.stream().map(c -> c.getPackageName()).collect(Collectors.toSet()))
        .contains(
            "io.jwalreceiver",
            "io.jwalreceiver.wal",
            "io.jwalreceiver.basebackup",
            "io.jwalreceiver.embedded",
            "io.jwalreceiver.archive.store",
            "io.jwalreceiver.cli");
  }

  /** No two packages depend on each other, directly or around a circle. */
  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.jwalreceiver.(**)").should().beFreeOfCycles().check(classes);
  }

  /**
   * vocabulary ← compress ← protocol ← session ← wal ← wal.segment; basebackup.{tar, manifest,
   * compress, stream} ← basebackup.sink ← basebackup ← archive.store ← archive (the layout) ←
   * archive.{upload, backup, restore, verify}; the embedded-server runtime on its own; cli above
   * all. A lower layer never uses a higher one, and a class in a package that is in no layer fails
   * the rule, so a new package is placed on purpose.
   */
  /** The layers from {@code compress} up, each used only by those after it. */
  private static final List<String> UPWARD =
      List.of(
          "compress",
          "protocol",
          "session",
          "wal",
          "wal.segment",
          "basebackup parts",
          "basebackup.sink",
          "basebackup",
          "archive.store",
          "archive",
          "archive services",
          "cli");

  /** The layers after {@code layer} in {@link #UPWARD}: the only ones that may use it. */
  private static String[] above(String layer) {
    return UPWARD.subList(UPWARD.indexOf(layer) + 1, UPWARD.size()).toArray(String[]::new);
  }

  @Test
  void layersPointDown() {
    LayeredArchitecture layers =
        layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .ensureAllClassesAreContainedInArchitecture()
            .layer("vocabulary")
            .definedBy("io.jwalreceiver")
            .layer("compress")
            .definedBy("io.jwalreceiver.compress..")
            .layer("protocol")
            .definedBy("io.jwalreceiver.protocol..")
            .layer("session")
            .definedBy("io.jwalreceiver.session..")
            .layer("wal")
            .definedBy("io.jwalreceiver.wal")
            .layer("wal.segment")
            .definedBy("io.jwalreceiver.wal.segment..")
            .layer("basebackup parts")
            .definedBy(
                "io.jwalreceiver.basebackup.tar..",
                "io.jwalreceiver.basebackup.manifest..",
                "io.jwalreceiver.basebackup.compress..",
                "io.jwalreceiver.basebackup.stream..")
            .layer("basebackup.sink")
            .definedBy("io.jwalreceiver.basebackup.sink..")
            .layer("basebackup")
            .definedBy("io.jwalreceiver.basebackup")
            .layer("archive.store")
            .definedBy("io.jwalreceiver.archive.store..")
            .layer("archive")
            .definedBy("io.jwalreceiver.archive")
            .layer("archive services")
            .definedBy(
                "io.jwalreceiver.archive.upload..",
                "io.jwalreceiver.archive.backup..",
                "io.jwalreceiver.archive.restore..",
                "io.jwalreceiver.archive.verify..")
            .layer("embedded")
            .definedBy("io.jwalreceiver.embedded..")
            .layer("cli")
            .definedBy("io.jwalreceiver.cli..");
    for (String layer : UPWARD.subList(0, UPWARD.size() - 1)) {
      layers = layers.whereLayer(layer).mayOnlyBeAccessedByLayers(above(layer));
    }
    layers
        .whereLayer("embedded")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .check(classes);
  }

  /** cli goes through the session's typed calls; the wire codec is not its business. */
  @Test
  void cliNeverImportsTheProtocol() {
    noClasses()
        .that()
        .resideInAPackage("io.jwalreceiver.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.jwalreceiver.protocol..")
        .check(classes);
  }

  /** The embeddable core stands alone: nothing in it uses basebackup or cli. */
  @Test
  void walReceiverModuleUsesNeitherBasebackupNorCli() {
    DescribedPredicate<JavaClass> inWalReceiverModule =
        DescribedPredicate.describe(
            "are in the wal-receiver module",
            c ->
                c.getSource()
                    .map(s -> Location.of(s.getUri()).contains("/wal-receiver"))
                    .orElse(false));
    noClasses()
        .that(inWalReceiverModule)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.jwalreceiver.basebackup..", "io.jwalreceiver.cli..")
        .check(classes);
  }

  // ---------------------------------------------------------------------------------------
  // Source scans

  private static final Pattern PUBLIC_TOP_LEVEL_TYPE =
      Pattern.compile(
          "^public\\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\\s+)*"
              + "(?:class|interface|enum|record|@interface)\\s+(\\w+)",
          Pattern.MULTILINE);

  /** style.md §3.12: public API is documented. */
  @Test
  void everyPublicTopLevelTypeHasJavadoc() {
    List<String> missing = new ArrayList<>();
    for (Path file : mainSources()) {
      String text = read(file);
      Matcher m = PUBLIC_TOP_LEVEL_TYPE.matcher(text);
      if (m.find() && !javadocBefore(text.substring(0, m.start()))) {
        missing.add(root().relativize(file) + " (" + m.group(1) + ")");
      }
    }
    assertThat(missing).as("public top-level types without a javadoc comment").isEmpty();
  }

  /**
   * The JPMS modules name every package they hold: a new package that module-info.java neither
   * exports nor exports to a module would otherwise be silently unreachable for embedders.
   */
  @Test
  void everyPackageOfAModuleIsExported() {
    for (String module : List.of("wal-receiver", "basebackup")) {
      Path src = root().resolve(module).resolve("src/main/java");
      Set<String> exported = new TreeSet<>();
      Matcher m =
          Pattern.compile("\\bexports\\s+([\\w.]+)").matcher(read(src.resolve("module-info.java")));
      while (m.find()) {
        exported.add(m.group(1));
      }
      Set<String> packages = packagesUnder(src);
      assertThat(exported)
          .as(
              "packages of %s that its module-info.java does not export (add an exports line,"
                  + " or 'exports ... to' for internals)",
              module)
          .containsAll(packages);
    }
  }

  /** Whether the text just before a type declaration ends in a javadoc comment. */
  static boolean javadocBefore(String head) {
    String[] lines = head.split("\n", -1);
    int end = lines.length - 1;
    // Skip blank lines and the type's annotations (picocli's @Command spans many lines).
    int depth = 0;
    while (end >= 0) {
      String line = lines[end].strip();
      depth += count(line, ')') - count(line, '(');
      if (line.isEmpty() || depth > 0 || line.startsWith("@")) {
        end--;
      } else {
        break;
      }
    }
    if (end < 0 || !lines[end].strip().endsWith("*/")) {
      return false;
    }
    String before = String.join("\n", List.of(lines).subList(0, end + 1));
    int open = before.lastIndexOf("/*");
    return open >= 0 && before.startsWith("/**", open);
  }

  private static int count(String s, char c) {
    return (int) s.chars().filter(x -> x == c).count();
  }

  private static List<Path> mainSources() {
    try (Stream<Path> modules = Files.list(root())) {
      List<Path> files = new ArrayList<>();
      for (Path module : modules.sorted().collect(Collectors.toList())) {
        Path src = module.resolve("src/main/java");
        if (Files.isDirectory(src)) {
          try (Stream<Path> walk = Files.walk(src)) {
            walk.filter(p -> p.toString().endsWith(".java"))
                .filter(p -> !p.endsWith("package-info.java") && !p.endsWith("module-info.java"))
                .forEach(files::add);
          }
        }
      }
      assertThat(files).as("main sources under %s", root()).isNotEmpty();
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<String> packagesUnder(Path src) {
    try (Stream<Path> walk = Files.walk(src)) {
      return walk.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java"))
          .map(p -> src.relativize(p.getParent()).toString().replace('/', '.'))
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The reactor root: surefire runs in cli/. */
  private static Path root() {
    Path cli = Path.of("").toAbsolutePath();
    Path root = cli.getParent();
    assertThat(root.resolve("wal-receiver/pom.xml")).as("the reactor root above %s", cli).exists();
    return root;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
