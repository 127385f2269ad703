"""The reference models: output shapes, finite gradients for every parameter, overfitting one small batch,
LeNet-5's parameter count and torch parity, the VAE loss against torch, and the model registry."""

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona import optim
from neurona.errors import ConfigError, ShapeError
from neurona.models import (
    DCGAN,
    GAN,
    MLP,
    MODELS,
    VAE,
    Conv1dNet,
    ConvAutoencoder,
    ConvNet,
    DenseAutoencoder,
    LeNet5,
    Seq2One,
    SequenceClassifier,
    build_model,
    vae_loss,
)


def _gan_loss(model, x):
    """Discriminator loss on real x and fakes: reaches every parameter of both networks."""
    fake = model(model.noise(len(x), np.random.default_rng(0)))
    real_logits, fake_logits = model.discriminator(x), model.discriminator(fake)
    return (F.binary_cross_entropy_with_logits(real_logits, nr.ones(*real_logits.shape))
            + F.binary_cross_entropy_with_logits(fake_logits, nr.zeros(*fake_logits.shape)))


def _classify(model, x, y):
    return F.cross_entropy(model(x), y)


def _reconstruct(model, x, y):
    return F.mse_loss(model(x), x)


def _vae(model, x, y):
    recon, mu, logvar = model(x)
    return vae_loss(recon, x, mu, logvar)


def _forecast(model, x, y):
    return F.mse_loss(model(x), y)


def _gan(model, x, y):
    return _gan_loss(model, x)


def _data(kind, shape, rng, n_classes=4):
    if kind == "tokens":
        return nr.tensor(rng.integers(0, 20, shape))
    if kind == "binary":
        return nr.tensor((rng.random(shape) > 0.5).astype(np.float32))
    return nr.tensor(rng.standard_normal(shape).astype(np.float32))


# name: (factory, input kind, input shape, target (None, number of classes, or 'horizon:k'), loss,
#        expected output shape)
CASES = {
    "lenet5_8x8": (lambda: LeNet5(input_size=8, num_classes=4), "normal", (8, 1, 8, 8), 4, _classify, (8, 4)),
    "lenet5_28x28_tanh_avg": (lambda: LeNet5(num_classes=4, activation="tanh", pooling="avg"), "normal",
                              (4, 1, 28, 28), 4, _classify, (4, 4)),
    "convnet": (lambda: ConvNet(num_classes=4, channels=(8, 16)), "normal", (8, 1, 8, 8), 4, _classify, (8, 4)),
    "sequence_classifier_lstm": (lambda: SequenceClassifier(input_size=3, hidden_size=16, num_classes=4),
                                 "normal", (8, 10, 3), 4, _classify, (8, 4)),
    "sequence_classifier_gru_bidirectional": (
        lambda: SequenceClassifier(input_size=3, hidden_size=16, num_classes=4, cell="gru", bidirectional=True,
                                   num_layers=2), "normal", (8, 10, 3), 4, _classify, (8, 4)),
    "sequence_classifier_rnn_tokens": (
        lambda: SequenceClassifier(vocab_size=20, embedding_dim=8, hidden_size=16, num_classes=4, cell="rnn"),
        "tokens", (8, 10), 4, _classify, (8, 4)),
    "seq2one": (lambda: Seq2One(hidden_size=16, horizon=3), "normal", (8, 12, 1), "horizon:3", _forecast, (8, 3)),
    "conv1dnet": (lambda: Conv1dNet(num_classes=4, channels=(8, 16)), "normal", (8, 1, 32), 4, _classify, (8, 4)),
    "dense_autoencoder": (lambda: DenseAutoencoder(16, hidden=(32,), latent_dim=4), "binary", (8, 16), None,
                          _reconstruct, (8, 16)),
    "conv_autoencoder": (lambda: ConvAutoencoder(latent_dim=8, channels=(8, 16)), "binary", (8, 1, 8, 8), None,
                         _reconstruct, (8, 1, 8, 8)),
    "vae": (lambda: VAE(16, hidden=(32,), latent_dim=2), "binary", (8, 16), None, _vae, (8, 16)),
    "gan": (lambda: GAN(latent_dim=2, data_dim=2, hidden=(16, 16)), "normal", (8, 2), None, _gan, (8, 2)),
    "dcgan": (lambda: DCGAN(latent_dim=4, features=8), "normal", (8, 1, 8, 8), None, _gan, (8, 1, 8, 8)),
}


def _batch(name, seed=0):
    factory, kind, shape, target, loss_fn, out_shape = CASES[name]
    rng = np.random.default_rng(seed)
    x = _data(kind, shape, rng)
    if isinstance(target, int):
        y = nr.tensor(np.arange(shape[0]) % target)  # every class present
    elif isinstance(target, str):
        y = nr.tensor(rng.standard_normal((shape[0], int(target.split(":")[1]))).astype(np.float32))
    else:
        y = None
    return x, y, loss_fn, out_shape


@pytest.mark.parametrize("name", list(CASES))
def test_output_shape(name):
    nr.manual_seed(0)
    model = CASES[name][0]()
    x, _, loss_fn, out_shape = _batch(name)
    if loss_fn is _gan:  # a GAN model generates from noise; its discriminator gives one logit per example
        assert model.discriminator(x).shape == (len(x), 1)
        x = model.noise(len(x))
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == out_shape
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_reach_every_parameter(name):
    nr.manual_seed(0)
    model = CASES[name][0]()
    x, y, loss_fn, _ = _batch(name)
    loss = loss_fn(model, x, y)
    assert np.isfinite(loss.item())
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{name}: no gradient for {pname}"
        assert p.grad.shape == p.shape, pname
        assert np.all(np.isfinite(p.grad.data)), pname
        assert np.any(p.grad.data != 0), f"{name}: zero gradient for {pname}"


OVERFIT = {  # name: (steps, lr)
    "lenet5_8x8": (40, 3e-3),
    "convnet": (30, 1e-2),
    "sequence_classifier_lstm": (60, 2e-2),
    "sequence_classifier_gru_bidirectional": (40, 2e-2),
    "sequence_classifier_rnn_tokens": (40, 2e-2),
    "seq2one": (80, 2e-2),
    "conv1dnet": (30, 1e-2),
    "dense_autoencoder": (80, 1e-2),
    "conv_autoencoder": (80, 1e-2),
    "vae": (200, 1e-2),  # its KL term cannot fall below about ln 8 (the bits that tell 8 examples apart)
}


@pytest.mark.parametrize("name", list(OVERFIT))
def test_overfits_one_batch(name):
    """A few dozen Adam steps on one small batch: classifiers reach accuracy 1, the rest cut their loss."""
    nr.manual_seed(0)
    model = CASES[name][0]()
    x, y, loss_fn, _ = _batch(name)
    steps, lr = OVERFIT[name]
    opt = optim.Adam(model.parameters(), lr=lr)
    first = None
    for _ in range(steps):
        loss = loss_fn(model, x, y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    final = loss_fn(model, x, y).item()
    if CASES[name][3] is not None and isinstance(CASES[name][3], int):
        assert (model(x).numpy().argmax(1) == y.numpy()).all(), name
        assert final < 0.25
    else:
        assert final < (0.5 if name == "vae" else 0.4) * first, (name, first, final)


@pytest.mark.parametrize("name", ["gan", "dcgan"])
def test_gan_discriminator_overfits_one_batch(name):
    """The discriminator alone learns to tell one real batch from a fixed batch of fakes."""
    nr.manual_seed(0)
    model = CASES[name][0]()
    x, _, _, _ = _batch(name)
    x = x + 3.0  # real data away from the generator's outputs near 0
    with nr.no_grad():
        fake = model(model.noise(len(x), np.random.default_rng(1)))
    opt = optim.Adam(model.discriminator.parameters(), lr=1e-2)
    for _ in range(30):
        real_logits, fake_logits = model.discriminator(x), model.discriminator(fake)
        loss = (F.binary_cross_entropy_with_logits(real_logits, nr.ones(*real_logits.shape))
                + F.binary_cross_entropy_with_logits(fake_logits, nr.zeros(*fake_logits.shape)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.discriminator.eval()
    assert (model.discriminator(x).numpy() > 0).all() and (model.discriminator(fake).numpy() < 0).all()


# ---- LeNet-5 --------------------------------------------------------------------------------------
def _torch_lenet():
    t = torch.nn
    return t.Sequential(t.Conv2d(1, 6, 5, padding=2), t.ReLU(), t.MaxPool2d(2), t.Conv2d(6, 16, 5), t.ReLU(),
                        t.MaxPool2d(2), t.Flatten(), t.Linear(400, 120), t.ReLU(), t.Linear(120, 84), t.ReLU(),
                        t.Linear(84, 10))


def test_lenet5_summary_has_61706_parameters():
    model = LeNet5()
    summary = model.summary((1, 1, 28, 28))
    assert summary.total_params == 61_706 == model.num_parameters()
    assert "61,706" in str(summary)
    assert summary.rows[-1].output_shape == (1, 10)


def test_lenet5_matches_torch_sequential():
    torch.manual_seed(0)
    reference = _torch_lenet()
    model = LeNet5()
    assert list(model.state_dict()) == list(reference.state_dict())
    model.load_state_dict(reference.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(nr.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_lenet5_small_inputs_pad_the_second_convolution():
    model = LeNet5(input_size=8)
    assert model[3].padding == (2, 2) and model[7].in_features == 64
    assert model.num_parameters() == 21_386
    assert model(nr.zeros(2, 64)).shape == (2, 10)  # flat digits are reshaped
    with pytest.raises(ShapeError, match=r"\(N, 1, 8, 8\)"):
        model(nr.zeros(2, 1, 28, 28))


# ---- VAE ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reconstruction", ["bce", "mse"])
@pytest.mark.parametrize("beta", [1.0, 4.0])
def test_vae_loss_matches_torch(reconstruction, beta):
    rng = np.random.default_rng(0)
    recon, x = rng.standard_normal((5, 12)), rng.random((5, 12))
    mu, logvar = rng.standard_normal((5, 3)), 0.5 * rng.standard_normal((5, 3))
    ours = [nr.tensor(a, dtype=nr.float64, requires_grad=True) for a in (recon, mu, logvar)]
    loss, rec_term, kl = vae_loss(ours[0], nr.tensor(x, dtype=nr.float64), ours[1], ours[2], beta=beta,
                                  reconstruction=reconstruction, return_parts=True)
    loss.backward()

    tr, tmu, tlv = (torch.tensor(a, requires_grad=True) for a in (recon, mu, logvar))
    tx = torch.tensor(x)
    if reconstruction == "bce":
        t_rec = torch.nn.functional.binary_cross_entropy_with_logits(tr, tx, reduction="sum") / 5
    else:
        t_rec = torch.nn.functional.mse_loss(tr, tx, reduction="sum") / 5
    t_kl = -0.5 * torch.sum(1 + tlv - tmu**2 - tlv.exp()) / 5
    t_loss = t_rec + beta * t_kl
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(rec_term.item(), t_rec.item(), rtol=1e-10)
    np.testing.assert_allclose(kl.item(), t_kl.item(), rtol=1e-10)
    for a, b in zip(ours, (tr, tmu, tlv)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_vae_kl_by_hand_and_reparameterisation():
    # KL(N(mu, s^2) || N(0, 1)) = (s^2 + mu^2 - 1 - ln s^2) / 2 per dimension
    mu, logvar = nr.tensor([[1.0, 0.0]]), nr.tensor([[0.0, np.log(4.0)]])
    _, _, kl = vae_loss(nr.zeros(1, 2), nr.zeros(1, 2), mu, logvar, return_parts=True)
    assert kl.item() == pytest.approx(0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 0 - 1 - np.log(4.0)), rel=1e-6)

    vae = VAE(16, hidden=(8,), latent_dim=2)
    x = nr.rand(4, 16)
    mu, logvar = vae.encode(x)
    nr.manual_seed(3)
    z1 = vae.reparameterize(mu, logvar).numpy()
    nr.manual_seed(3)
    np.testing.assert_array_equal(vae.reparameterize(mu, logvar).numpy(), z1)  # eps from manual_seed
    assert not np.allclose(z1, mu.numpy())
    vae.eval()
    np.testing.assert_array_equal(vae.reparameterize(mu, logvar).numpy(), mu.numpy())  # eval: z = mu
    samples = vae.sample(5).numpy()
    assert samples.shape == (5, 16) and samples.min() >= 0 and samples.max() <= 1


def test_vae_loss_checks_its_arguments():
    z = nr.zeros(2, 3)
    with pytest.raises(ConfigError, match="reconstruction"):
        vae_loss(z, z, z, z, reconstruction="l1")
    with pytest.raises(ConfigError, match="beta"):
        vae_loss(z, z, z, z, beta=-1)


# ---- autoencoders and GANs ------------------------------------------------------------------------
def test_autoencoders_encode_and_decode():
    ae = DenseAutoencoder(64, hidden=(32, 16), latent_dim=3)
    x = nr.rand(5, 1, 8, 8)
    assert ae.encode(x).shape == (5, 3)
    assert ae.decode(nr.zeros(5, 3)).shape == (5, 64)
    assert ae(x).shape == (5, 1, 8, 8)
    out = ae(x).numpy()
    assert out.min() >= 0 and out.max() <= 1  # sigmoid output
    conv = ConvAutoencoder(latent_dim=4)
    assert conv.encode(x).shape == (5, 4) and conv.decode(nr.zeros(5, 4)).shape == (5, 1, 8, 8)
    assert conv(x.reshape(5, 64)).shape == (5, 64)
    assert ConvAutoencoder(in_channels=3, input_size=16, channels=(8, 16, 32))(nr.rand(2, 3, 16, 16)).shape == \
        (2, 3, 16, 16)


def test_gans_sample_and_discriminate():
    gan = GAN(latent_dim=3, data_dim=5, output_activation="tanh")
    assert gan.sample(7).shape == (7, 5) and np.abs(gan.sample(7).numpy()).max() <= 1
    assert gan.discriminator(nr.zeros(7, 5)).shape == (7, 1)
    for size in (4, 8, 16):
        dcgan = DCGAN(latent_dim=4, channels=3, image_size=size, features=8)
        images = dcgan.sample(2)
        assert images.shape == (2, 3, size, size)
        assert dcgan.discriminator(images).shape == (2, 1)
    dcgan = DCGAN()
    assert dcgan.generator.training  # sample() restores the mode
    with pytest.raises(ShapeError, match="latent_dim=16"):
        dcgan(nr.zeros(2, 3))


# ---- the registry and argument checks -------------------------------------------------------------
MINIMAL_ARGS = {"mlp": {"widths": [4, 8, 2]}, "dense_autoencoder": {"input_dim": 16}, "vae": {"input_dim": 16},
                "sequence_classifier": {"input_size": 3}}


def test_build_model_by_every_name():
    assert set(MODELS) == {"mlp", "lenet5", "convnet", "sequence_classifier", "seq2one", "conv1dnet",
                           "dense_autoencoder", "conv_autoencoder", "vae", "gan", "dcgan"}
    for name, cls in MODELS.items():
        assert type(build_model(name, **MINIMAL_ARGS.get(name, {}))) is cls
    assert isinstance(build_model("LeNet5", input_size=8), LeNet5)
    assert isinstance(build_model("conv-autoencoder"), ConvAutoencoder)
    assert isinstance(build_model("mlp", widths=[2, 3]), MLP)


def test_build_model_errors_name_the_valid_choices():
    with pytest.raises(ConfigError, match=r"unknown model 'lenet'.*'lenet5'.*Valid names: mlp, lenet5"):
        build_model("lenet")
    with pytest.raises(ConfigError, match=r"takes no argument\(s\) 'hidden'.*in_channels, num_classes"):
        build_model("lenet5", hidden=3)


@pytest.mark.parametrize("make, match", [
    (lambda: ConvNet(channels=(8, 8, 8, 8), input_size=8), "at most 3 blocks"),
    (lambda: ConvNet(dropout=1.5), "dropout"),
    (lambda: LeNet5(activation="sigmoid"), "activation"),
    (lambda: SequenceClassifier(hidden_size=8), "input_size .* or vocab_size"),
    (lambda: SequenceClassifier(input_size=3, cell="transformer"), "cell must be one of rnn, lstm, gru"),
    (lambda: Conv1dNet(kernel_size=4), "odd"),
    (lambda: ConvAutoencoder(input_size=10), "divisible by"),
    (lambda: DCGAN(image_size=12), "power of two"),
    (lambda: VAE(16, likelihood="poisson"), "likelihood"),
    (lambda: GAN(hidden=(0,)), "hidden"),
    (lambda: Seq2One(horizon=0), "horizon"),
])
def test_bad_arguments_raise_config_errors(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_input_shape_errors_say_what_is_expected():
    with pytest.raises(ShapeError, match=r"\(N, 1, T\) with T >= 8"):
        Conv1dNet()(nr.zeros(2, 2, 64))
    with pytest.raises(ShapeError, match=r"\(N, 1, 8, 8\)"):
        ConvNet()(nr.zeros(2, 1, 16, 16))
    with pytest.raises(ShapeError, match=r"integer tokens of shape \(N, L\)"):
        SequenceClassifier(vocab_size=5)(nr.zeros(2, 3, 4))
    assert Seq2One()(nr.zeros(2, 7)).shape == (2, 1)  # (N, L) is one feature per step
