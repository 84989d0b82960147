#!/usr/bin/python3
"""End-to-end tests of the dnassm CLI on real data; outputs are read back with numpy, h5py and
pyBigWig. The tests live in test_*.py beside this file, a module per command or concern. Run by
ctest as `cli_test.py DNASSM_BINARY TestClass[.test_name]`."""
import glob
import importlib
import os
import sys
import unittest

import cli_support

if __name__ == "__main__":
    cli_support.set_binary(sys.argv.pop(1))
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        module = importlib.import_module(os.path.basename(path)[:-3])
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, unittest.TestCase):
                globals()[name] = value
    unittest.main(verbosity=2)
