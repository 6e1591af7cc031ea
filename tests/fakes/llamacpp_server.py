"""llama-cpp-python's real OpenAI-compatible server, with llama.cpp's weight repacking off.

``python -m tests.fakes.llamacpp_server --model M.gguf --port N …`` takes the arguments of
``python -m llama_cpp.server``. On CPUs with AMX (seen on this workplace's machines, Sapphire
Rapids), llama.cpp repacks Q4_1 weights into AMX tiles and then crashes (SIGSEGV in
``llama_decode``) on any batch of more than a few tokens; with ``use_extra_bufts`` off it uses
the plain CPU kernels. llama-cpp-python does not expose the flag, so the default model
parameters are wrapped before the server builds its model.
"""

from __future__ import annotations

from typing import Any

import llama_cpp
import llama_cpp.llama
from llama_cpp.server.__main__ import main

_default_params = llama_cpp.llama_model_default_params


def _without_repacking() -> Any:
    params = _default_params()
    params.use_extra_bufts = False
    return params


if __name__ == "__main__":
    llama_cpp.llama.llama_cpp.llama_model_default_params = _without_repacking
    main()
