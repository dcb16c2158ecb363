"""PyTorch's derivatives for the diagnostics: `torch.autograd`."""

import keras
import torch


def batch_jacobian(model, inputs, units_per_pass=256):
    inputs = keras.ops.convert_to_tensor(inputs).detach()
    batch = inputs.shape[0]
    with torch.no_grad():
        size = model(inputs[:1], training=False).reshape(1, -1).shape[1]
    rows = []
    with torch.enable_grad():
        for start in range(0, size, units_per_pass):
            units = torch.arange(start, min(start + units_per_pass, size))
            # One copy of the batch per output unit, all in one backward pass
            # (faster on CPU than autograd's vmap over cotangents): copy i
            # backpropagates unit units[i] of each example.
            copies = inputs.repeat(len(units), *[1] * (inputs.ndim - 1))
            copies.requires_grad_(True)
            outputs = model(copies, training=False).reshape(len(units), batch, size)
            cotangents = torch.zeros_like(outputs)
            cotangents[torch.arange(len(units)), :, units] = 1.0
            (rows_of_units,) = torch.autograd.grad(
                outputs, copies, cotangents, allow_unused=True, materialize_grads=True
            )
            rows.append(rows_of_units.reshape(len(units), batch, -1))
    return keras.ops.convert_to_numpy(torch.cat(rows).transpose(0, 1))


def value_and_gradients(model, inputs, loss_fn):
    variables = [v.value for v in model.trainable_variables]
    with torch.enable_grad():
        outputs = model(inputs, training=False)
        value = loss_fn(outputs)
        gradients = torch.autograd.grad(value, variables, allow_unused=True)
    gradients = [
        torch.zeros_like(v) if g is None else g
        for v, g in zip(variables, gradients, strict=True)
    ]
    outputs = [x.detach() for x in keras.tree.flatten(outputs)]
    return (
        [keras.ops.convert_to_numpy(x) for x in outputs],
        [keras.ops.convert_to_numpy(g) for g in gradients],
    )
