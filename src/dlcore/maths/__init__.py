"""Maths that one chapter needs and PyTorch has no counterpart for (the perceptron, CNN shape
tracing, the drop-rate posterior, penalised regression, test surfaces for optimizers, ...).

Import the sub-modules explicitly (``from dlcore.maths.perceptron import Perceptron``); this
package imports nothing, so ``import dlcore`` stays light."""
