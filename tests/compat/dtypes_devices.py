"""dtypes, sizes and devices as a beginner's script meets them: conversions, promotion, the
``device = "cuda" if ... else "cpu"`` idiom, and moving tensors and modules to that device."""

import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
mps = torch.backends.mps.is_available()

x = torch.tensor([[1.5, -2.0, 3.25], [0.0, 4.0, -1.0]], device=device)
i = torch.tensor([1, 2, 3])
names = {
    "x": str(x.dtype).split(".")[-1],
    "i": str(i.dtype).split(".")[-1],
    "bool": str((x > 0).dtype).split(".")[-1],
    "long": str(x.long().dtype).split(".")[-1],
    "int": str(x.int().dtype).split(".")[-1],
    "half": str(x.half().dtype).split(".")[-1],
    "double": str(x.double().dtype).split(".")[-1],
    "type": str(x.type(torch.int16).dtype).split(".")[-1],
    "to": str(x.to(torch.float64).dtype).split(".")[-1],
    "to_device_dtype": str(x.to(device, torch.uint8).dtype).split(".")[-1],
    "to_other": str(i.to(x).dtype).split(".")[-1],
    "int_plus_float": str((i + 0.5).dtype).split(".")[-1],
    "int_times_float_tensor": str((i * x[0]).dtype).split(".")[-1],
    "float_plus_double0d": str((x + torch.tensor(1.0, dtype=torch.float64)).dtype).split(".")[-1],
    "int8_plus_uint8": str((torch.tensor([1], dtype=torch.int8) + torch.tensor([1], dtype=torch.uint8)).dtype).split(".")[-1],
    "bool_plus_bool": str((torch.tensor([True]) + torch.tensor([True])).dtype).split(".")[-1],
    "default": str(torch.get_default_dtype()).split(".")[-1],
}
same = [torch.float == torch.float32, torch.double == torch.float64, torch.long == torch.int64,
        torch.int == torch.int32, torch.half == torch.float16, torch.short == torch.int16,
        torch.float32 != torch.float64, x.dtype == torch.float32]

size = x.size()
on_device = x.to(device)
moved = x.cpu()
linear = torch.nn.Linear(3, 2).to(device)

torch.set_default_dtype(torch.float64)
default_after = str(torch.tensor([1.0]).dtype).split(".")[-1], str(torch.zeros(2).dtype).split(".")[-1]
torch.set_default_dtype(torch.float32)

out = {
    "names": names,
    "same": same,
    "size": tuple(size),
    "size_is_tuple": isinstance(size, tuple),
    "size_numel": size.numel(),
    "size_dim": (x.size(1), x.size(-1), x.shape[0], len(x.shape)),
    "numel": (x.numel(), torch.numel(x)),
    "floating": (x.is_floating_point(), i.is_floating_point(), torch.is_floating_point(x)),
    "device": (str(device), str(x.device), x.device.type, on_device is x, moved is x),
    "cuda": (torch.cuda.is_available(), torch.cuda.device_count(), mps),
    "linear_weight_device": str(linear.weight.device),
    "default_after": default_after,
    "values_long": x.long(),
    "values_uint8": x.abs().to(torch.uint8),
    "values_bool": x.bool(),
    "itemsize": (torch.float16.itemsize, torch.int64.itemsize),
    "dtype_is_float": (torch.float32.is_floating_point, torch.int64.is_floating_point),
    "finfo": (torch.finfo(torch.float32).eps, torch.iinfo(torch.int32).max),
    "numpy_dtype": x.numpy().dtype.name,
}
