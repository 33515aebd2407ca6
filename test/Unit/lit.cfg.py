# -*- Python -*-
# Runs bertc's GoogleTest binaries through lit, so that one run of the suite
# prints one summary.

import os

import lit.formats

config.name = "BERTC-Unit"
config.suffixes = []
config.test_source_root = config.unit_test_dir
config.test_exec_root = config.unit_test_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")
