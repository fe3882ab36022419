"""Conv2d, ConvTranspose2d and MaxPool2d forward + backward (chapters 3 and 11's kernels).

Run directly (``python benchmarks/bench_cnn.py``; threads from ``OPENBLAS_NUM_THREADS``) to
print the convolution's achieved GFLOP/s as a fraction of a plain float64 matrix product's.
"""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case


def _conv(n, c_in, size, c_out, k, padding):
    x = np.random.default_rng(0).standard_normal((n, c_in, size, size))
    return layer_case("Conv2d fwd+bwd",
                      f"({n}, {c_in}, {size}, {size}) -> {c_out}x{k}x{k} p{padding}",
                      nn.Conv2d(c_in, c_out, k, padding=padding, rng=0),
                      torch.nn.Conv2d(c_in, c_out, k, padding=padding, dtype=torch.float64), x)


def _conv_transpose(n, c_in, size, c_out, k, stride, padding):
    # the decoders' upsampling step: stride 2, kernel 4, padding 1 doubles the size
    x = np.random.default_rng(0).standard_normal((n, c_in, size, size))
    return layer_case("ConvTranspose2d fwd+bwd",
                      f"({n}, {c_in}, {size}, {size}) -> {c_out}x{k}x{k} s{stride} p{padding}",
                      nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=padding, rng=0),
                      torch.nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=padding,
                                               dtype=torch.float64), x)


def _max_pool(n, c, size, k, stride):
    x = np.random.default_rng(0).standard_normal((n, c, size, size))
    return layer_case("MaxPool2d fwd+bwd", f"({n}, {c}, {size}, {size}) k{k} s{stride}",
                      nn.MaxPool2d(k, stride), torch.nn.MaxPool2d(k, stride), x)


CASES = [_conv(64, 16, 32, 32, 3, 1), _conv_transpose(64, 32, 16, 16, 4, 2, 1), _max_pool(64, 16, 32, 2, 2), _max_pool(64, 32, 32, 3, 2)]


def _conv_efficiency(n=64, c_in=16, size=32, c_out=32, k=3):
    """GFLOP/s of Conv2d forward + backward (its three products' useful flops, stride 1,
    'same' padding) beside those of a 1024 x 1024 float64 matmul on this machine."""
    from harness import best_ms

    case = _conv(n, c_in, size, c_out, k, k // 2)
    conv_gflop = 3 * 2 * c_out * c_in * k * k * n * size * size / 1e9
    a = np.random.default_rng(0).standard_normal((1024, 1024))
    matmul_gflops = 2 * 1024 ** 3 / 1e9 / (best_ms(lambda: a @ a) / 1000)
    conv_gflops = conv_gflop / (best_ms(case.dlcore) / 1000)
    print(f"Conv2d fwd+bwd {case.shape}: {conv_gflops:.1f} GFLOP/s; float64 matmul "
          f"{matmul_gflops:.1f} GFLOP/s; fraction {conv_gflops / matmul_gflops:.2f}")


if __name__ == "__main__":
    _conv_efficiency()
