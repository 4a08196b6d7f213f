# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Welcome: Variational Autoencoders and GANs, hands on
#
# This course turns one lecture, *Deep Generative Models III: VAE & GAN*, into notebooks
# you can run, check and play with. Every equation on the slides becomes code in the
# companion package **genlab**, every identity is checked numerically right after it is
# derived, and every model trains in seconds on a laptop CPU (and uses a GPU when there is one).
#
# This notebook checks that your environment is ready:
#
# 1. the installed `genlab` matches this version of the course,
# 2. which device genlab will compute on, and how fast a small operation runs there,
# 3. that interactive widgets work in your JupyterLab.
#
# *Estimated time: 3 minutes.*

# %% [markdown]
# ## 1. The environment
#
# `genlab.check_environment` fails loudly if the installed genlab is older than the course
# needs: a stale install would otherwise show up much later as a puzzling `AttributeError`.
# If it fails, run `pip install -e ".[dev]"` in the course folder and restart the kernel.

# %%
import ipywidgets as widgets
import torch
from IPython.display import Markdown, display

import genlab

COURSE_VERSION = "0.1.0"
env = genlab.check_environment(COURSE_VERSION)
for field, value in env._asdict().items():
    print(f"{field:>12}: {value}")

# %% [markdown]
# ## 2. The device
#
# genlab picks the device once, in `genlab.resolve_device("auto")`: CUDA if present, then
# Apple's MPS, then the CPU. Set the environment variable `GENLAB_DEVICE` (for example
# `GENLAB_DEVICE=cpu`) before starting JupyterLab to override the choice. Asking for a device
# that is not there is an error that lists what is available, never a silent fall-back:

# %%
print("available here:", genlab.available_devices())
try:
    genlab.resolve_device("cuda" if "cuda" not in genlab.available_devices() else "mps")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# A first measurement: the median time of a 512 x 512 matrix product, on the chosen device and
# on the CPU. A matrix product of two $n \times n$ matrices costs $2n^3$ floating-point
# operations.

# %%
from genlab.device import time_matmul
from genlab.notebooks import syllabus

n = 512
flop = 2 * n**3
for device in dict.fromkeys([env.device, torch.device("cpu")]):
    seconds = time_matmul(device, n=n)
    print(f"{str(device):>6}: {seconds * 1e3:7.2f} ms per product, {flop / seconds / 1e9:7.1f} GFLOP/s")

# %% [markdown]
# ## 3. A first widget
#
# The lectures are full of sliders and buttons. Move this slider: the readout below it
# re-times the matrix product at the new size. If you see a slider but the readout never
# changes, your JupyterLab lacks the ipywidgets front end (`pip install -e ".[dev]"` installs it).

# %%
size = widgets.IntSlider(value=256, min=64, max=1024, step=64, description="n",
                         continuous_update=False)
readout = widgets.HTML()


def show_time(change=None):
    seconds = time_matmul(env.device, n=size.value, repeats=5)
    readout.value = (f"<code>{size.value} x {size.value}</code> product on "
                     f"<b>{env.device}</b>: {seconds * 1e3:.2f} ms "
                     f"({2 * size.value**3 / seconds / 1e9:.1f} GFLOP/s)")


size.observe(show_time, names="value")
show_time()
welcome = widgets.VBox([size, readout])
welcome

# %% [markdown]
# *Widget: a slider for the matrix size $n$ (64 to 1024) and, below it, a line of text with the
# time of one $n \times n$ product on your device in milliseconds and its rate in GFLOP/s.*

# %% [markdown]
# ## 4. The lectures
#
# Each lecture follows the slides in order (lectures 04b and 09 go beyond them) and runs top to
# bottom in about a minute on a laptop CPU. The table is built from the lecture notebooks themselves:

# %%
rows = ["| lecture | estimated time |", "|---|---|"]
for lecture in syllabus():
    minutes = f"{lecture.minutes} min" if lecture.minutes else ""
    rows.append(f"| [{lecture.title}]({lecture.path.name}) | {minutes} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# ## How to use the course
#
# - Run a notebook top to bottom first (*Run > Run All Cells*), then go back and play.
# - Each lecture has an exercise notebook in `exercises/` whose check cells tell you at once
#   whether your answer is right and, if not, which convention broke (sum vs mean, sign,
#   logits vs probabilities, ...).
# - The notebooks are stored as plain Python files (`.py`, "percent" format) paired with
#   `.ipynb` files. Open either; JupyterLab keeps both in step when you save.
