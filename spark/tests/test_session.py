"""The session's settings (bank_etl/session.py): those that follow the input, the local JVM's."""

from __future__ import annotations

import re
from pathlib import Path

from bank_etl import session
from bank_etl.session import shuffle_partitions_for

MIB = 1 << 20


def test_shuffle_partitions_are_one_wave_of_the_cores_for_a_small_input():
    assert shuffle_partitions_for(42 * MIB, 2) == 2
    assert shuffle_partitions_for(0, 8) == 8


def test_shuffle_partitions_grow_with_the_input_in_whole_waves_of_about_128_mib_each():
    assert shuffle_partitions_for(4_100 * MIB, 2) == 34  # 100 M rows on this machine: 17 waves of 2
    assert shuffle_partitions_for(41 * 1024 * MIB, 64) == 384  # 1 B rows on 64 cores: 6 waves
    assert all(shuffle_partitions_for(size * MIB, 16) % 16 == 0 for size in (1, 500, 5_000, 50_000))


def _compiler_directives(spark) -> str:
    """What the running JVM's compilers apply (the Compiler.directives_print diagnostic command),
    through the MBean server's interface: Py4J cannot call the server's own, internal class."""
    gateway = spark.sparkContext._gateway
    jvm = gateway.jvm

    def array(kind, *items):
        values = gateway.new_array(kind, len(items))
        for index, item in enumerate(items):
            values[index] = item
        return values

    server = jvm.java.lang.management.ManagementFactory.getPlatformMBeanServer()
    connection = jvm.java.lang.Class.forName("javax.management.MBeanServerConnection")
    invoke = connection.getMethod("invoke", array(jvm.java.lang.Class, jvm.java.lang.Class.forName("javax.management.ObjectName"),
                                                  jvm.java.lang.Class.forName("java.lang.String"),
                                                  jvm.java.lang.Class.forName("[Ljava.lang.Object;"),
                                                  jvm.java.lang.Class.forName("[Ljava.lang.String;")))
    command = jvm.javax.management.ObjectName("com.sun.management:type=DiagnosticCommand")
    no_arguments = array(jvm.java.lang.Object, gateway.new_array(jvm.java.lang.String, 0))
    return invoke.invoke(server, array(jvm.java.lang.Object, command, "compilerDirectivesPrint", no_arguments,
                                       array(jvm.java.lang.String, "[Ljava.lang.String;")))


def _directive_patterns() -> list[str]:
    text = (Path(session.__file__).with_name("jit-directives-local.json")).read_text()
    return re.findall(r'"([^"]+\.[^"]+)"', text.split("match:", 1)[1].split("]", 1)[0])


def test_the_local_jvm_keeps_its_optimising_compiler_off_the_per_query_code(spark):
    printed = _compiler_directives(spark)
    # One directive: its patterns, then the c1 block (not applied) and the c2 block (Exclude).
    directive = printed.split("Directive:", 2)[1]
    matching = {p.rstrip(",") for p in directive.split("matching:", 1)[1].split("c1 directives:", 1)[0].split()}
    c2 = directive.split("c2 directives:", 1)[1]
    assert matching == set(_directive_patterns())
    assert "org/codehaus/janino/*.*" in matching and "java/io/ObjectOutputStream*.*" in matching
    assert "Exclude:true" in c2 and "Enable:true" in c2


def test_every_pattern_of_the_compiler_directives_names_classes_the_jvm_has(spark):
    # A pattern that matches nothing (a package renamed by an upgrade) would silently stop working.
    jvm = spark.sparkContext._jvm
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    jdk_packages = jvm.java.lang.Object().getClass().getModule().getPackages()
    for pattern in _directive_patterns():
        classes = pattern.rsplit(".", 1)[0]
        if classes.endswith("/*"):  # a package (and its subpackages)
            package = classes[:-2]
            found = loader.getResource(package + "/") is not None or jdk_packages.contains(package.replace("/", "."))
        else:  # a class (with its nested classes)
            found = loader.getResource(classes.rstrip("*") + ".class") is not None
        assert found, f"no class of the JVM matches the compiler directive {pattern}"


def test_the_compiler_directives_are_left_out_on_request(monkeypatch):
    monkeypatch.setenv("BANK_ETL_JIT_DIRECTIVES", "0")
    assert session._jit_options() == ""
    monkeypatch.delenv("BANK_ETL_JIT_DIRECTIVES")
    assert "-XX:CompilerDirectivesFile=" in session._jit_options()


def test_the_local_jvm_starts_with_its_whole_heap_and_room_for_class_metadata(spark):
    jvm = spark.sparkContext._jvm
    runtime = jvm.java.lang.Runtime.getRuntime()
    assert runtime.totalMemory() >= 0.95 * runtime.maxMemory()  # no growing (and full collections) on the way
    diagnostics = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(
        jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean"))
    assert int(diagnostics.getVMOption("MetaspaceSize").getValue()) == 256 << 20
