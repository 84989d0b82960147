#!/usr/bin/python3
"""`cmake --install` into a temporary prefix, then the installed dnassm is used as a lab would use
it: models by name from PREFIX/share/dnassm/models and $DNASSM_MODEL_PATH, the CUDA plugin from
PREFIX/lib/dnassm, the converter script from PREFIX/share/dnassm/tools. Run by ctest as
`install_test.py CMAKE CPACK BUILD_DIR DNASSM [FAKE_DRIVER_DIR]` (the last when the build has the plugin).
The Debian packages (cpack) are unpacked and used the same way."""
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
BUNDLED = "dnassm-mamba-small"
BUNDLED_CADUCEUS = "dnassm-caduceus-small"
CMAKE = CPACK = BUILD = BUILT_DNASSM = FAKE_DRIVER = None  # set from argv


def run(exe, *args, env=None, expect=0):
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=600,
                       env={**os.environ, **(env or {})})
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{exe} {' '.join(args)}: exit {p.returncode}, expected {expect}\n{p.stderr}")
    return p.stdout, p.stderr


class InstallTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dnassm_install_")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        subprocess.run([CMAKE, "--install", BUILD, "--prefix", cls.prefix], check=True, capture_output=True)
        cls.dnassm = os.path.join(cls.prefix, "bin", "dnassm")
        # Nothing in the environment may point back into the build tree.
        os.environ.pop("DNASSM_MODEL_PATH", None)
        os.environ.pop("DNASSM_CUDA_PLUGIN", None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_layout(self):
        for rel in ("bin/dnassm", f"share/dnassm/models/{BUNDLED}/config.json",
                    f"share/dnassm/models/{BUNDLED_CADUCEUS}/model.safetensors",
                    f"share/dnassm/models/{BUNDLED}/model.safetensors", "share/dnassm/tools/convert_checkpoint.py",
                    "share/dnassm/pipelines/snakemake/Snakefile", "share/doc/dnassm/README.md",
                    "share/bash-completion/completions/dnassm"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)), rel)
        self.assertTrue(os.access(os.path.join(self.prefix, "share/dnassm/tools/convert_checkpoint.py"), os.X_OK))
        gui = os.path.join(os.path.dirname(BUILT_DNASSM), "dnassm-gui")
        if os.path.exists(gui):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, "bin", "dnassm-gui")))
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, "share/applications/dnassm-gui.desktop")))
        out, _ = run(self.dnassm, "--version-only")
        self.assertEqual(out.strip(), run(BUILT_DNASSM, "--version-only")[0].strip())

    def test_man_pages(self):
        """A page per command (dnassm-embed(1), as git has), made by help2man from the command's own --help, so each
        lists the command's options; each renders without a warning and its SEE ALSO names only installed pages."""
        if not shutil.which("help2man"):
            self.skipTest("help2man is not installed (./setup.sh installs it): the build made no man pages")
        help_text, _ = run(BUILT_DNASSM, "--help")
        commands = re.findall(r"^  ([a-z]+) ", help_text.split("Commands:")[1], re.M)
        self.assertIn("embed", commands)
        pages = {"dnassm": []} | {f"dnassm-{c}": [c] for c in commands}
        if os.path.exists(os.path.join(os.path.dirname(BUILT_DNASSM), "dnassm-gui")):
            pages["dnassm-gui"] = None
        man1 = os.path.join(self.prefix, "share", "man", "man1")
        self.assertEqual(sorted(f for f in os.listdir(man1)), sorted(p + ".1.gz" for p in pages))
        groff = shutil.which("groff")
        for page, args in pages.items():
            with gzip.open(os.path.join(man1, page + ".1.gz"), "rt") as f:
                roff = f.read()
            self.assertIn(f".TH {page.upper()} \"1\"", roff)
            self.assertRegex(roff, rf"\.SH NAME\n{page.replace('-', '.')} \\- \S", page)
            if args is not None:  # every long option of the command's --help is on its page
                options = set(re.findall(r"--[a-z0-9][a-z0-9-]*", run(BUILT_DNASSM, *args, "--help")[0]))
                self.assertTrue(options, page)
                for o in options:
                    self.assertTrue(o.replace("-", "\\-") in roff, f"{page} lacks {o}")
            for ref in re.findall(r"^\.BR (dnassm[a-z\\-]*) \(1\)", roff, re.M):
                self.assertIn(ref.replace("\\-", "-"), pages, f"{page} refers to {ref}")
            if groff:
                p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z"], input=roff, capture_output=True, text=True)
                self.assertEqual((p.returncode, p.stderr), (0, ""), page)

    def test_installed_scripts_make_initial_models_that_pretrain(self):
        tools = os.path.join(self.prefix, "share/dnassm/tools")
        for script, args in (("make_random_mamba.py", ["16", "1"]), ("make_random_hyena.py", ["16", "1", "130"]),
                             ("make_random_caduceus.py", ["16", "1"])):
            self.assertTrue(os.access(os.path.join(tools, script), os.X_OK), script)
            init, out = os.path.join(self.tmp, script + ".init"), os.path.join(self.tmp, script + ".out")
            subprocess.run(["/usr/bin/python3", os.path.join(tools, script), init, *args], check=True)
            run(self.dnassm, "pretrain", "-m", init, "-o", out, "--fasta", LAMBDA, "--window", "128", "--batch",
                "1", "--steps", "2", "--warmup", "1", "--val-bases", "500", "--progress", "none")
            self.assertTrue(os.path.isfile(os.path.join(out, "model.safetensors")), script)

    def test_bundled_model_by_name_gives_the_build_trees_output(self):
        out, _ = run(self.dnassm, "info")
        rows = [l.split("\t") for l in out.splitlines()[1:]]
        self.assertEqual(rows, [["  " + name, os.path.join(self.prefix, "share/dnassm/models", name)]
                                for name in (BUNDLED_CADUCEUS, BUNDLED)])
        out, _ = run(self.dnassm, "info", BUNDLED)
        self.assertIn("model:       " + os.path.join(self.prefix, "share/dnassm/models", BUNDLED), out)
        a, b = os.path.join(self.tmp, "a.npy"), os.path.join(self.tmp, "b.npy")
        run(self.dnassm, "embed", "-m", BUNDLED, "-r", "NC_001416.1:1-3000", "-o", a, LAMBDA)
        run(BUILT_DNASSM, "embed", "-m", os.path.join(ROOT, "data", "models", BUNDLED), "-r",
            "NC_001416.1:1-3000", "-o", b, LAMBDA)
        np.testing.assert_array_equal(np.load(a), np.load(b))

    def test_model_path_entries_come_first_and_unknown_names_say_where_they_were_looked_for(self):
        mine = os.path.join(self.tmp, "my_models")
        os.makedirs(mine, exist_ok=True)
        shutil.copytree(os.path.join(self.prefix, "share/dnassm/models", BUNDLED), os.path.join(mine, "tuned"),
                        dirs_exist_ok=True)
        shutil.copytree(os.path.join(self.prefix, "share/dnassm/models", BUNDLED), os.path.join(mine, BUNDLED),
                        dirs_exist_ok=True)
        env = {"DNASSM_MODEL_PATH": os.path.join(self.tmp, "missing") + ":" + mine}
        out, _ = run(self.dnassm, "info", "tuned", env=env)
        self.assertIn("model:       " + os.path.join(mine, "tuned"), out)
        out, _ = run(self.dnassm, "info", BUNDLED, env=env)  # shadows the bundled one
        self.assertIn("model:       " + os.path.join(mine, BUNDLED), out)
        out, _ = run(self.dnassm, "info", env=env)
        self.assertEqual([l.split("\t")[1] for l in out.splitlines()[1:3]],
                         [os.path.join(mine, BUNDLED), os.path.join(mine, "tuned")])
        _, err = run(self.dnassm, "embed", "-m", "nosuch", "-o", os.path.join(self.tmp, "x.npy"), LAMBDA,
                     env=env, expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("nosuch: model directory does not exist (nor a model of that name in "
                      + os.path.join(self.tmp, "missing") + ", " + mine + ", "
                      + os.path.join(self.prefix, "share/dnassm/models"), err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.npy")))
        # A path is a path: a relative one is not looked up by name.
        run(self.dnassm, "info", "./nosuch", expect=1)

    def test_debian_packages(self):
        if not shutil.which("dpkg-shlibdeps") or not shutil.which("dpkg-deb"):
            self.skipTest("dpkg-dev is not installed (dpkg-shlibdeps, dpkg-deb)")
        out = os.path.join(self.tmp, "packages")
        subprocess.run([CPACK, "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out], check=True,
                       capture_output=True)
        debs = {f.split("_")[0]: os.path.join(out, f) for f in os.listdir(out) if f.endswith(".deb")}
        expected = {"dnassm"}
        if os.path.exists(os.path.join(os.path.dirname(BUILT_DNASSM), "dnassm-gui")):
            expected.add("dnassm-gui")
        if FAKE_DRIVER is not None:
            expected.add("dnassm-cuda")
        self.assertEqual(set(debs), expected)

        def field(deb, name):
            return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True).stdout.strip()
        for lib in ("libhts3", "libbigwig0", "libhdf5", "libfftw3-single3", "libopenblas0",
                    "libboost-program-options"):
            self.assertIn(lib, field(debs["dnassm"], "Depends"))
        for extra in expected - {"dnassm"}:
            self.assertIn("dnassm (= ", field(debs[extra], "Depends"))
        # Debian policy 5.6.13: a synopsis of the package's own, then an extended description.
        synopses = {"dnassm": "(command line)", "dnassm-gui": "explorer", "dnassm-cuda": "CUDA"}
        for name, deb in debs.items():
            lines = field(deb, "Description").splitlines()
            self.assertIn(synopses[name], lines[0], name)
            self.assertLess(len(lines[0]), 80, name)
            self.assertGreater(len(lines), 1, name)
            self.assertTrue(all(line.startswith(" ") and ";" not in line for line in lines[1:]), lines)
        # Unpacked (as dpkg would, under a root of our own) the binary finds its model and plugin.
        root = os.path.join(self.tmp, "root")
        for deb in debs.values():
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        if shutil.which("help2man"):
            self.assertTrue(os.path.isfile(os.path.join(root, "usr/share/man/man1/dnassm-embed.1.gz")))
            if "dnassm-gui" in debs:
                self.assertTrue(os.path.isfile(os.path.join(root, "usr/share/man/man1/dnassm-gui.1.gz")))
        exe = os.path.join(root, "usr", "bin", "dnassm")
        out, _ = run(exe, "info", BUNDLED)
        self.assertIn("model:       " + os.path.join(root, "usr/share/dnassm/models", BUNDLED), out)
        run(exe, "embed", "-m", BUNDLED, "-r", "NC_001416.1:1-500", "-o", os.path.join(self.tmp, "d.npy"), LAMBDA)
        self.assertEqual(np.load(os.path.join(self.tmp, "d.npy")).shape, (500, 128))
        if FAKE_DRIVER is not None:
            out, err = run(exe, "--version", env={"LD_LIBRARY_PATH": FAKE_DRIVER})
            self.assertIn(f"(plugin {os.path.join(root, 'usr/lib/dnassm/libdnassm_cuda.so')})", out + err)

    def test_installed_cuda_plugin_loads(self):
        if FAKE_DRIVER is None:
            self.skipTest("this build has no CUDA plugin")
        plugin = os.path.join(self.prefix, "lib", "dnassm", "libdnassm_cuda.so")
        self.assertTrue(os.path.isfile(plugin))
        ldd = subprocess.run(["ldd", plugin], capture_output=True, text=True).stdout
        self.assertNotIn("not found", ldd)
        # A driver library without a driver: the installed plugin is the one opened, and every
        # library and symbol it needs resolves (the CUDA runtime's own complaint comes back).
        out, err = run(self.dnassm, "--version", env={"LD_LIBRARY_PATH": FAKE_DRIVER})
        out += err
        line = [l for l in out.splitlines() if l.startswith("cuda: ")]
        self.assertEqual(len(line), 1, out)
        self.assertTrue(line[0].endswith(f"(plugin {plugin})"), line[0])


if __name__ == "__main__":
    CMAKE, CPACK, BUILD, BUILT_DNASSM = sys.argv[1:5]
    FAKE_DRIVER = sys.argv[5] if len(sys.argv) > 5 else None
    unittest.main(argv=[sys.argv[0], "-v"])
