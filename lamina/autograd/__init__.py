"""lamina.autograd: the reverse-mode tape, grad modes, Function and gradcheck."""
