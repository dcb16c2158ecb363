"""PyTorch's derivatives for the diagnostics: `torch.autograd`."""

import keras
import torch


def batch_jacobian(model, inputs):
    with torch.enable_grad():
        inputs = keras.ops.convert_to_tensor(inputs).detach().requires_grad_(True)
        outputs = model(inputs, training=False)
        outputs = outputs.reshape(outputs.shape[0], -1)
        batch, size = outputs.shape
        # Cotangent i is unit i of every example at once (examples are
        # independent), and autograd vectorizes the `size` backward passes.
        cotangents = torch.eye(size, dtype=outputs.dtype, device=outputs.device)
        cotangents = cotangents[:, None, :].expand(size, batch, size)
        (jacobian,) = torch.autograd.grad(
            outputs,
            inputs,
            grad_outputs=cotangents,
            is_grads_batched=True,
            allow_unused=True,
            materialize_grads=True,
        )
    jacobian = jacobian.reshape(size, batch, -1).transpose(0, 1)
    return keras.ops.convert_to_numpy(jacobian)


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
