"""nn.Module and nn.Parameter: registration, traversal, state_dict, modes, hooks, conversion and
printing. Expected texts are PyTorch's (with lamina for torch), checked once against torch."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import lamina as lm
from lamina import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Dropout(0.1))
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2, bias=False), "b": nn.Identity()})
        self.blocks = nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.Sigmoid()])
        self.flat = nn.Flatten()
        self.sm = nn.LogSoftmax(dim=1)
        self.bil = nn.Bilinear(2, 3, 4)
        self.register_buffer("count", lm.zeros(1))
        self.register_buffer("tmp", lm.zeros(1), persistent=False)


NET_REPR = """\
Net(
  (body): Sequential(
    (0): Linear(in_features=3, out_features=4, bias=True)
    (1): ReLU(inplace=True)
    (2): Dropout(p=0.1, inplace=False)
  )
  (heads): ModuleDict(
    (a): Linear(in_features=4, out_features=2, bias=False)
    (b): Identity()
  )
  (blocks): ModuleList(
    (0-1): 2 x Tanh()
    (2): Sigmoid()
  )
  (flat): Flatten(start_dim=1, end_dim=-1)
  (sm): LogSoftmax(dim=1)
  (bil): Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)
)"""


def test_repr():
    assert repr(Net()) == NET_REPR
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.Softmax()) == "Softmax(dim=None)"
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_parameter():
    x = lm.tensor([1.0, 2.0])
    p = nn.Parameter(x)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert isinstance(p, lm.Tensor) and p.requires_grad and p.is_leaf
    assert not nn.Parameter(x, requires_grad=False).requires_grad
    # it shares the wrapped tensor's storage; results of ops on it are plain tensors
    x[0] = 5.0
    assert p[0].item() == 5.0
    y = p * 2
    assert type(y) is lm.Tensor and y.grad_fn is not None
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [10.0, 4.0])
    assert nn.Parameter().shape == (0,)


def test_registration_order_and_traversal():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["body", "heads", "blocks", "flat", "sm", "bil"]
    assert list(net.state_dict()) == ["count", "body.0.weight", "body.0.bias", "heads.a.weight",
                                      "bil.weight", "bil.bias"]
    assert [n for n, _ in net.named_buffers()] == ["count", "tmp"]
    assert [n for n, _ in net.named_parameters()] == [
        "body.0.weight", "body.0.bias", "heads.a.weight", "bil.weight", "bil.bias"]
    assert list(net.parameters(recurse=False)) == []
    assert [n for n, _ in net.named_modules()][:4] == ["", "body", "body.0", "body.1"]
    assert len(list(net.modules())) == 15
    assert net.heads.a is net.heads["a"] and net.get_submodule("body.0") is net.body[0]
    # a module or parameter shared twice is listed once
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2 and len(list(seq.modules())) == 2


def test_setattr_moves_between_registries_and_delattr():
    m = nn.Module()
    m.x = nn.Parameter(lm.zeros(2))
    assert "x" in m._parameters
    m.x = None
    assert m._parameters["x"] is None and m.x is None
    del m.x
    assert "x" not in m._parameters
    m.register_buffer("b", lm.ones(1))
    m.b = lm.zeros(1)  # a tensor assigned to a buffer's name replaces the buffer
    assert m._buffers["b"].item() == 0.0
    m.b = nn.Linear(1, 1)  # a module takes the name over
    assert "b" not in m._buffers and "b" in m._modules
    m.add_module("c", nn.Tanh())
    m.register_module("d", nn.Tanh())
    assert list(m._modules) == ["b", "c", "d"]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'zzz'"):
        _ = m.zzz
    assert "c" in dir(m)


def test_registration_errors():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'lamina.FloatTensor' as parameter "
                                        r"'weight' \(lamina.nn.Parameter or None expected\)"):
        lin.weight = lm.zeros(2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        lin.register_buffer("weight", lm.zeros(1))
    with pytest.raises(KeyError, match='name can.*t contain "[.]"'):
        lin.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="cannot assign 'lamina.FloatTensor' object to parameter"):
        lin.register_parameter("p", lm.zeros(1))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        lin.register_parameter("q", _non_leaf())
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        lin.add_module("m", 3)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module"):
        seq = nn.Sequential(nn.Tanh())
        seq.__setattr__("0", 3)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(lm.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before "
                                             r"Module.__init__\(\) call"):
        Early()


def _non_leaf():
    p = nn.Parameter(lm.zeros(1))
    q = p * 2
    q.__class__ = nn.Parameter
    return q


def test_state_dict_round_trip_and_detach():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert a.state_dict(keep_vars=True)["bil.weight"] is a.bil.weight
    result = b.load_state_dict(sd)
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    # loading copies in place: the Parameter objects stay
    w = b.body[0].weight
    b.load_state_dict(Net().state_dict())
    assert b.body[0].weight is w
    # assign=True takes the checkpoint's tensors, wrapped as Parameters
    new = {k: v.clone() for k, v in sd.items()}
    b.load_state_dict(new, assign=True)
    assert isinstance(b.bil.weight, nn.Parameter) and b.bil.weight.requires_grad
    assert b.count is new["count"]


def test_load_state_dict_errors():
    net = Net()
    keys = net.load_state_dict({"body.0.weight": lm.zeros(4, 3), "x.y": lm.zeros(1)},
                               strict=False)
    assert keys.missing_keys == ["count", "body.0.bias", "heads.a.weight", "bil.weight",
                                 "bil.bias"]
    assert keys.unexpected_keys == ["x.y"]
    assert repr(keys) == ("_IncompatibleKeys(missing_keys=['count', 'body.0.bias', "
                          "'heads.a.weight', 'bil.weight', 'bil.bias'], unexpected_keys=['x.y'])")
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict({"body.0.weight": lm.zeros(4, 2), "x.y": lm.zeros(1)})
    assert str(e.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "count", '
        '"body.0.bias", "heads.a.weight", "bil.weight", "bil.bias". \n\tUnexpected key(s) in '
        'state_dict: "x.y". \n\tsize mismatch for body.0.weight: copying a param with shape '
        "lamina.Size([4, 2]) from checkpoint, the shape in current model is "
        "lamina.Size([4, 3]).")
    with pytest.raises(RuntimeError, match='While copying the parameter named "body.0.weight", '
                                           "expected lamina.Tensor or Tensor-like object from "
                                           "checkpoint but received <class 'int'>"):
        net.load_state_dict({"body.0.weight": 3}, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1])


def test_train_eval_and_dropout():
    net = Net()
    assert net.training and net.body[2].training
    assert net.eval() is net
    assert not net.training and not net.body[2].training
    x = lm.ones(100)
    drop = nn.Dropout(0.5)
    np.testing.assert_array_equal(drop.eval()(x).numpy(), x.numpy())
    y = drop.train()(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).sum() < 100
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_zero_grad_requires_grad_apply():
    lin = nn.Linear(3, 2)
    lin(lm.ones(1, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.abs().sum().item() == 0.0
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    assert lin.requires_grad_(False) is lin and not lin.weight.requires_grad
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen[:4] == ["Linear", "ReLU", "Dropout", "Sequential"] and seen[-1] == "Net"


def test_to_float_double():
    net = Net()
    w = net.bil.weight
    net.register_buffer("steps", lm.zeros(1, dtype=lm.int64))
    assert net.double() is net
    assert net.bil.weight is w and w.dtype == lm.float64 and net.count.dtype == lm.float64
    assert net.steps.dtype == lm.int64  # integer state keeps its dtype
    net.to(lm.float32)
    assert w.dtype == lm.float32
    net.to("cpu", dtype=lm.float64)
    assert w.dtype == lm.float64
    net.float()
    assert w.dtype == lm.float32 and net.count.dtype == lm.float32
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex"):
        net.to(lm.int32)


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(m, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(m, args, out):
        calls.append("post")
        return out + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    lin.register_forward_hook(lambda m, a, o: calls.append("first"), prepend=True)
    out = lin(lm.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1,
                               rtol=1e-6)
    assert calls == ["pre", "first", "post"]
    h1.remove()
    h2.remove()
    calls.clear()
    np.testing.assert_allclose(lin(lm.zeros(1, 2)).detach().numpy(),
                               lin.bias.detach().numpy()[None], rtol=1e-6)
    assert calls == ["first"]


def test_forward_hooks_with_kwargs_and_always_call():
    class Scale(nn.Module):
        def forward(self, x, *, k=1.0):
            if k < 0:
                raise ValueError("negative")
            return x * k

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"k": 3.0}), with_kwargs=True)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["k"]),
                            with_kwargs=True)
    assert m(lm.ones(1)).item() == 3.0 and seen == [3.0]

    m2 = Scale()
    ran = []
    with m2.register_forward_hook(lambda mod, a, o: ran.append(1), always_call=True):
        with pytest.raises(ValueError, match="negative"):
            m2(lm.ones(1), k=-1.0)
    assert ran == [1] and not m2._forward_hooks_always_called
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m3 = Scale()
        m3.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        m3(lm.ones(1))


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    x = lm.randn(4, 2)
    np.testing.assert_allclose(seq(x).detach().numpy(), c(b(a(x))).detach().numpy())
    seq.append(nn.Tanh())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and seq[1] is c
    seq[0] = b
    assert seq[0] is b
    named = nn.Sequential(OrderedDict([("enc", a), ("act", b)]))
    assert named.enc is a and named[1] is b and list(named[:1]._modules) == ["enc"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Tanh()])
    ml.append(nn.ReLU()).extend([nn.Sigmoid()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Tanh", "ReLU", "Sigmoid"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    ml += [nn.Tanh()]
    assert len(ml) == 5 and isinstance(ml[-1], nn.Tanh)
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="extend should be called with an iterable"):
        ml.extend(3)
    md = nn.ModuleDict({"x": nn.Tanh()})
    md["y"] = nn.Linear(1, 1)
    md.update([("z", nn.ReLU())])
    assert list(md) == ["x", "y", "z"] and "y" in md and len(md) == 3
    assert len(list(md.parameters())) == 2
    assert isinstance(md.pop("x"), nn.Tanh) and list(md.keys()) == ["y", "z"]
    # parameters inside containers are registered with the owner
    net = nn.Module()
    net.layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(2)])
    assert [n for n, _ in net.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_deepcopy_and_pickle_keep_parameters():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    m.tied = m[0]  # a shared submodule stays shared in the copy
    for copied in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        w = copied[0].weight
        assert type(w) is nn.Parameter and w.requires_grad and w is not m[0].weight
        np.testing.assert_array_equal(w.detach().numpy(), m[0].weight.detach().numpy())
        assert copied.tied is copied[0]
        assert [n for n, _ in copied.named_parameters()] == ["0.weight", "0.bias"]
    frozen = copy.deepcopy(nn.Parameter(lm.ones(1), requires_grad=False))
    assert type(frozen) is nn.Parameter and not frozen.requires_grad


def test_state_dict_positional_arguments_are_deprecated():
    lin = nn.Linear(1, 1)
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        sd = lin.state_dict(None, "pre.", True)
    assert list(sd) == ["pre.weight", "pre.bias"] and sd["pre.weight"] is lin.weight
