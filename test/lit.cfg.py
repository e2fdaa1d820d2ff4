# lit configuration for threadleak's tests.
#
#   checkers/      one file per check: positive and negative cases, every
#                  diagnostic matched, each run through BOTH front-ends
#   cli/           the threadleak command line: databases, exit codes, errors
#   plugin/        the clang-tidy plugin as a plugin (loading, version guard)
#   parity/        the CLI and the plugin agree on the whole corpus
#   scaling/       generated pathological inputs: budgets, never a crash
#   real-headers/  the matchers on real libstdc++ / glibc / Boost headers
import os
import shutil
import lit.formats

config.name = "threadleak"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".cpp", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.threadleak_obj_root, "test")

# FileCheck, not, count and split-file from llvm-<major>-tools.
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
# Diagnostics must not depend on the user's terminal or locale.
config.environment["LC_ALL"] = "C"
config.environment.pop("THREADLEAK_RESOURCE_DIR", None)
config.environment.pop("THREADLEAK_CACHE_DIR", None)
# Tests do not share a findings cache: each analyses afresh unless it opts in
# with --cache-dir (test/cli/cache.test).
config.environment["THREADLEAK_NO_CACHE"] = "1"

inputs = os.path.join(config.test_source_root, "Inputs")
stub_flags = "-std=c++20 -nostdinc++ -nostdlibinc -isystem " + os.path.join(inputs, "Headers")

# Without --quiet: the summary line and error messages on stderr.
config.substitutions.append(("%{threadleak-loud}", config.threadleak_bin))
config.substitutions.append(("%{threadleak-bin}", config.threadleak_bin))
config.substitutions.append(("%threadleak", config.threadleak_bin + " --quiet"))
config.substitutions.append(("%tidy", "%s --load=%s --quiet" % (config.clang_tidy, config.threadleak_plugin)))
config.substitutions.append(("%clang_tidy", config.clang_tidy))
# The compiler, to prove that a fixed file still compiles.
config.substitutions.append(("%clangxx", config.clang))
config.substitutions.append(("%plugin", config.threadleak_plugin))
config.substitutions.append(("%stubflags", stub_flags))
config.substitutions.append(("%inputs", inputs))
# The LLVM/Clang major of this build (22, or 19): %clang-major in RUN lines,
# and the feature clang-<major> for what legitimately differs between them.
config.substitutions.append(("%clang-major", config.clang_major))
config.available_features.add("clang-" + config.clang_major)
# Debian's python3 (with python3-jsonschema) rather than whatever is first
# on PATH.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else (shutil.which("python3") or "python3")
config.substitutions.append(("%expect-exit", "%s %s" % (python, os.path.join(inputs, "expect-exit.py"))))
config.substitutions.append(("%python", python))
config.substitutions.append(("%sarif-validate", "%s %s %s" % (python, os.path.join(inputs, "sarif", "validate.py"), os.path.join(inputs, "sarif", "sarif-schema-2.1.0.json"))))
# Every warning, note and error the tool prints must be matched by a CHECK.
config.substitutions.append(("%check-all", "FileCheck --implicit-check-not=\"{{warning|note|error}}:\""))

import subprocess
if subprocess.run([python, "-c", "import jsonschema"], stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("jsonschema")
if os.path.exists("/usr/include/boost/thread.hpp"):
    config.available_features.add("boost")
if os.path.exists("/usr/include/c++"):
    config.available_features.add("libstdcxx")
