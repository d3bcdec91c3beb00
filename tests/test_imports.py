"""`import cnn_course` and its NumPy-only modules start without TensorFlow; the others import it quietly."""

import os
import subprocess
import sys

import pytest

#: Modules that must import without TensorFlow or Keras: the lectures' maths and the data generator.
NUMPY_ONLY = ["convolution", "filters", "lecture_examples", "exercises", "explain", "explanation",
              "layer_arithmetic", "dense_vs_conv", "search_spaces", "shapes", "shape_drawing", "datasets",
              "settings", "files", "tables", "notebook_files", "cli", "_validation", "checks", "assignment_source",
              "submission", "grading", "assignment", "sample_submissions"]


def _fresh_python(code, **env):
    full_env = {**os.environ, **env}
    full_env.pop("CNN_COURSE_TF_LOGS", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=full_env)


def test_package_and_numpy_only_modules_do_not_import_tensorflow():
    code = ("import sys\nimport cnn_course\n"
            f"for name in {NUMPY_ONLY!r}:\n    __import__('cnn_course.' + name)\n"
            "from cnn_course.explain import conv_params, dense_params\n"
            "assert conv_params(3, 3, 32) == 896 and dense_params(784, 10) == 7850\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
            "print('HEAVY', heavy)")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY []" in out.stdout, out.stdout


def test_import_sets_tensorflow_flags_without_overriding_the_users():
    code = "import os, cnn_course\nprint(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=clean)
    assert out.stdout.split() == ["1", "2"], out.stderr[-2000:]
    out = _fresh_python(code, TF_ENABLE_ONEDNN_OPTS="0")
    assert out.stdout.split()[0] == "0"


def test_a_keras_module_imports_tensorflow_without_its_start_up_lines():
    code = ("import sys\nfrom cnn_course import models\n"
            "assert 'tensorflow' not in sys.modules\n"
            "model = models.build_dense((4, 4, 1), 2)\n"
            "print('KERAS', 'keras' in sys.modules, model.count_params())")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "KERAS True" in out.stdout
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers"):
        assert noise not in out.stderr, out.stderr


def test_thread_limit_reaches_tensorflow_whoever_imports_it_first():
    # TensorFlow reads these variables when it starts its thread pools, also after `import tensorflow`.
    code = "import os, cnn_course\nprint(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])"
    out = _fresh_python(code, CNN_COURSE_THREADS="1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


def test_thread_limit_reaches_tensorflow():
    code = ("from cnn_course.settings import import_tensorflow_quietly\n"
            "tf = import_tensorflow_quietly()\n"
            "print(tf.config.threading.get_intra_op_parallelism_threads(),"
            " tf.config.threading.get_inter_op_parallelism_threads())")
    out = _fresh_python(code, CNN_COURSE_THREADS="1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_bad_thread_limit_is_named(bad):
    code = "from cnn_course.settings import import_tensorflow_quietly\nimport_tensorflow_quietly()"
    out = _fresh_python(code, CNN_COURSE_THREADS=bad)
    assert out.returncode != 0
    assert f"CNN_COURSE_THREADS={bad!r}" in out.stderr and "positive integer" in out.stderr


#: The public names of the three modules split in one module per idea, each still found in its old module,
#: with the module that now holds it. `architectures` finds the small ones in `small_architectures` on first use.
OLD_NAMES = {
    "models": {
        "task_heads": ["TASKS", "task_head", "compile_for_task"],
        "convnet_builder": ["convnet_shapes", "build_convnet", "build_dense"],
        "presets": ["keras_io_mnist_convnet", "mnist_convnet", "mnist_convnet_2nd_edition", "cats_vs_dogs_convnet",
                    "lenet5", "shapes_convnet", "PRESETS", "build_preset"],
        "model_comparison": ["COMPARED_CONFIG", "compare_layers"],
        "models": ["conv_output_size"],
    },
    "architectures": {
        "architectures": ["keras", "layers", "lenet5", "alexnet", "vgg_block", "vgg16", "naive_inception_module",
                          "inception_module", "multiply_adds", "inception_3a_counts", "residual_block",
                          "bottleneck_block", "resnet50"],
        "small_architectures": ["small_lenet", "small_vgg", "small_inception", "small_resnet", "deep_plain_stack",
                                "deep_residual_stack"],
    },
    "diagnostics": {
        "diagnostics": ["keras", "check_output_and_loss", "OverfitResult", "can_overfit_small_batch"],
        "gradient_health": ["GradientNormLogger", "plot_gradient_norms", "dead_relu_fraction"],
    },
}


def test_split_modules_keep_every_old_name_and_import_in_any_order():
    # A fresh process imports the new modules before the old ones (an import cycle would fail here), checks
    # that the models family still starts without TensorFlow, then that each old name is the new one.
    code = ("import importlib, sys\n"
            f"OLD_NAMES = {OLD_NAMES!r}\n"
            "for name in ('presets', 'model_comparison', 'convnet_builder', 'task_heads', 'models'):\n"
            "    importlib.import_module('cnn_course.' + name)\n"
            "assert 'tensorflow' not in sys.modules, 'the models modules import TensorFlow'\n"
            "for name in ('small_architectures', 'architectures', 'gradient_health', 'diagnostics'):\n"
            "    importlib.import_module('cnn_course.' + name)\n"
            "missing = []\n"
            "for old, homes in OLD_NAMES.items():\n"
            "    old_module = importlib.import_module('cnn_course.' + old)\n"
            "    for home, names in homes.items():\n"
            "        new_module = importlib.import_module('cnn_course.' + home)\n"
            "        for name in names:\n"
            "            if getattr(old_module, name, None) is not getattr(new_module, name):\n"
            "                missing.append(f'{old}.{name}')\n"
            "            if name not in dir(old_module):\n"
            "                missing.append(f'dir({old}) lacks {name}')\n"
            "from cnn_course.architectures import small_vgg\n"
            "from cnn_course.models import shapes_convnet\n"
            "from cnn_course.diagnostics import dead_relu_fraction\n"
            "print('MISSING', missing)")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "MISSING []" in out.stdout, out.stdout
