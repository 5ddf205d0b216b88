"""lamina.cuda: the torch.cuda surface. The CuPy backend has not landed, so no device is visible."""


def is_available():
    return False


def device_count():
    return 0
