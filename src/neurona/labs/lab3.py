"""Lab 3 (weeks 5-6): architectures — CNNs, RNNs, autoencoders, GANs and deep reinforcement learning.

1. LeNet-5 on Digits as 1x8x8 images: accuracy, learned filters, feature maps, parameters vs the MLP;
2. RNN, GRU and LSTM on digits read row by row, a sine forecaster, Conv1d vs LSTM on raw waveforms,
   and the gradient norm through time;
3. dense and convolutional autoencoders, a 2-D latent space, and a VAE's samples and interpolation;
4. a GAN on a ring of 8 Gaussians (mode coverage measured) and a DCGAN on Digits;
5. deep RL on CartPole (when ``neurona.rl`` and gymnasium are installed).

``run(out, quick, seed)`` is what ``neurona lab 3`` calls; ``labs/lab3.ipynb`` calls the same functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

import neurona as nr
from neurona import datasets, nn, optim
from neurona.data import DataLoader, TensorDataset
from neurona.labs.common import LabResult, lab_folder, per_epoch, pick
from neurona.models import (
    DCGAN,
    GAN,
    MLP,
    VAE,
    Conv1dNet,
    ConvAutoencoder,
    ConvNet,
    DenseAutoencoder,
    LeNet5,
    Seq2One,
    SequenceClassifier,
    vae_loss,
)
from neurona.report import HtmlReport, image_grid, line_figure
from neurona.train import Trainer
from neurona.train.gan import mode_coverage, train_gan


def _fit(model: nn.Module, split: Any, epochs: int, seed: int, lr: float = 1e-3, batch_size: int = 32,
         loss: Any = None, metrics: Any = None, task: str | None = None) -> tuple[Any, Trainer]:
    nr.manual_seed(seed)
    trainer = Trainer(model, loss or nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), metrics=metrics,
                      task=task)
    history = trainer.fit(split.train, val=split.val, epochs=epochs, batch_size=batch_size, verbose=0, seed=seed)
    return history, trainer


def _scatter(points: np.ndarray, labels: np.ndarray | None, title: str, extra: np.ndarray | None = None,
             axis: str = "x") -> Figure:
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    if extra is not None:
        ax.scatter(extra[:, 0], extra[:, 1], s=6, c="#bbbbbb", label="real data")
    sc = ax.scatter(points[:, 0], points[:, 1], s=8, c=labels, cmap="tab10" if labels is not None else None,
                    label="generated" if extra is not None else None)
    if labels is not None:
        fig.colorbar(sc, ax=ax, label="class")
    ax.set_title(title)
    ax.set_xlabel(f"{axis}[0]")
    ax.set_ylabel(f"{axis}[1]")
    ax.set_aspect("equal", adjustable="datalim")
    if extra is not None:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    fig.tight_layout()
    return fig


# ---- 1. CNN ---------------------------------------------------------------------------------------------


def digit_images(seed: int) -> Any:
    """Digits as (1, 8, 8) images in [0, 1], stratified 20% test split."""
    bundle = datasets.digits(as_images=True)
    bundle.X = (bundle.X / 16.0).astype(np.float32)
    return bundle.split(val=0.1, test=0.2, seed=seed)


def section_cnn(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("1. Convolutional networks: LeNet-5 on Digits")
    split = digit_images(seed)
    epochs = 8 if quick else 30
    model = LeNet5(in_channels=1, num_classes=10, input_size=8)
    history, trainer = _fit(model, split, epochs, seed, lr=2e-3)
    test = trainer.evaluate(split.test)
    nr.manual_seed(seed)
    convnet = ConvNet(1, 10, input_size=8)
    conv_history, conv_trainer = _fit(convnet, split, epochs, seed, lr=2e-3)
    conv_test = conv_trainer.evaluate(split.test)
    mlp = MLP([64, 128, 64, 10])
    report.text("A convolution slides small learned filters over the image: the same 5x5 weights look for the same "
                "pattern everywhere (weight sharing), so the network needs far fewer parameters than a dense layer "
                "and is built to notice local shapes (strokes, corners). Pooling then keeps the strongest response "
                "in each neighbourhood, making the features tolerant to small shifts.")
    report.table([{"model": "LeNet-5 (8x8 input)", "parameters": model.num_parameters(), "test accuracy": test["accuracy"]},
                  {"model": "VGG-style ConvNet (2 blocks of 2 convs + batch norm)", "parameters": convnet.num_parameters(),
                   "test accuracy": conv_test["accuracy"]},
                  {"model": "MLP 64-128-64-10 (Lab 2)", "parameters": mlp.num_parameters(), "test accuracy": "see Lab 2"}],
                 f"Parameters and test accuracy after epoch {epochs} (stratified 20% test split)")
    report.text("LeNet-5's 5x5 filters are large for 8x8 digits: after one pooling the second convolution sees a 4x4 "
                "map mostly made of padding. The VGG-style network stacks small 3x3 convolutions with batch "
                "normalisation and sees the same receptive field"
                + pick(convnet.num_parameters() < model.num_parameters(), " with fewer parameters", "")
                + "; measured on the test digits it "
                + pick(conv_test["accuracy"] > test["accuracy"], f"generalises better ({conv_test['accuracy']:.3f} vs "
                       f"{test['accuracy']:.3f}).", f"does not beat LeNet-5 ({conv_test['accuracy']:.3f} vs "
                       f"{test['accuracy']:.3f})."))
    report.code(str(model.summary((1, 1, 8, 8))))
    report.figure(line_figure({"LeNet-5 train": per_epoch(history["loss"]),
                               "LeNet-5 validation": per_epoch(history["val_loss"]),
                               "ConvNet train": per_epoch(conv_history["loss"]),
                               "ConvNet validation": per_epoch(conv_history["val_loss"])},
                              "epoch", "cross-entropy", "Learning curves", log_y=True), "Learning curves")
    filters = model[0].weight.numpy()
    report.figure(image_grid(filters, nrow=6, titles=[f"filter {i + 1}" for i in range(len(filters))],
                             title="The 6 learned 5x5 filters of the first layer"), "Learned filters")
    maps = {}
    handle = model[1].register_forward_hook(lambda m, a, out: maps.__setitem__("c1", out.numpy()))
    with nr.no_grad():
        model.eval()(nr.tensor(split.X_test[:1]))
    handle.remove()
    report.figure(image_grid(np.concatenate([split.X_test[:1, 0], maps["c1"][0]]), nrow=7,
                             titles=["input"] + [f"map {i + 1}" for i in range(6)],
                             title="A test digit and its 6 feature maps after the first convolution + ReLU"),
                  "Feature maps")
    return {"lenet_test_accuracy": test["accuracy"], "lenet_parameters": model.num_parameters(),
            "convnet_test_accuracy": conv_test["accuracy"], "convnet_parameters": convnet.num_parameters(),
            "mlp_parameters": mlp.num_parameters()}


# ---- 2. RNN ---------------------------------------------------------------------------------------------


def gradient_norm_through_time(cell: str, T: int = 30, hidden: int = 32, seed: int = 0,
                               forget_bias: float | None = None) -> list[float]:
    """||dL/dh_t|| for a loss on the last step only, unrolled with a Cell so each h_t can be inspected.

    ``forget_bias`` sets the LSTM's forget-gate bias (gate order i, f, g, o): 1.0 opens the gate at the start,
    the usual LSTM initialisation (Jozefowicz et al., 2015; Keras' ``unit_forget_bias``)."""
    nr.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = nr.tensor(rng.standard_normal((T, 8, 4)))
    layer = nn.RNNCell(4, hidden) if cell == "rnn" else nn.LSTMCell(4, hidden)
    if cell == "lstm" and forget_bias is not None:
        layer.bias_ih.data[hidden:2 * hidden] = forget_bias
        layer.bias_hh.data[hidden:2 * hidden] = 0.0
    h, c, states = nr.zeros(8, hidden), nr.zeros(8, hidden), []
    for t in range(T):
        if cell == "rnn":
            h = layer(x[t], h)
        else:
            h, c = layer(x[t], (h, c))
        h.retain_grad()
        states.append(h)
    (h * h).sum().backward()
    return [float(np.linalg.norm(s.grad.numpy())) for s in states]


def section_rnn(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("2. Recurrent networks")
    images = digit_images(seed)
    rows_split = datasets.Split(images.X_train[:, 0], images.y_train, images.X_val[:, 0], images.y_val,
                                images.X_test[:, 0], images.y_test)  # each digit as 8 rows of 8 pixels
    epochs = 10 if quick else 30
    results, curves = {}, {}
    for cell in ("rnn", "gru", "lstm"):
        model = SequenceClassifier(input_size=8, hidden_size=64, num_classes=10, cell=cell)
        history, trainer = _fit(model, rows_split, epochs, seed, lr=3e-3)
        results[cell] = trainer.evaluate(rows_split.test)["accuracy"]
        curves[cell.upper()] = history["val_accuracy"]
    report.text("A recurrent network reads a sequence one step at a time, carrying a hidden state h_t = f(W x_t + "
                "U h_{t-1} + b). Here each digit is read as a sequence of 8 rows. The LSTM and GRU add gates that "
                "decide what to keep and what to forget, which lets information and gradients survive many steps.")
    report.figure(line_figure({k: per_epoch(v) for k, v in curves.items()}, "epoch", "validation accuracy",
                              "Digits read row by row"), "RNN vs GRU vs LSTM")
    report.table([{"cell": k.upper(), "test accuracy": v} for k, v in results.items()],
                 f"Test accuracy after epoch {epochs}")
    gated = min(results["gru"], results["lstm"])
    report.text("Measured on 8 steps: " + ", ".join(f"{k.upper()} {v:.3f}" for k, v in results.items()) + ". "
                + pick(gated > results["rnn"] + 0.005, "Both gated cells beat the plain RNN, ",
                       "The gated cells do not clearly beat the plain RNN, ")
                + "but with only 8 steps the plain RNN's gradient has little distance over which to vanish; the "
                "difference grows with the length of the sequence (below).")

    forecast = datasets.sine_forecast(n=600 if quick else 1200, length=40, horizon=1, seed=seed)
    fs = forecast.split(val=0.15, test=0.15, seed=seed)
    model = Seq2One(input_size=1, hidden_size=32, horizon=1, cell="lstm")
    _, trainer = _fit(model, fs, 8 if quick else 30, seed, lr=5e-3, loss=nn.MSELoss(), metrics=("rmse",),
                      task="regression")
    pred = trainer.predict(fs.X_test[:80]).reshape(-1)
    rmse = trainer.evaluate(fs.test)["rmse"]
    report.figure(line_figure({"true next value": fs.y_test[:80].reshape(-1), "LSTM forecast": pred}, "test window",
                              "value", f"One-step forecast of a noisy multi-sine (test RMSE {rmse:.3f})"),
                  "Forecast vs truth")

    waves = datasets.waveforms(n=600 if quick else 1500, length=128, seed=seed)
    ws = waves.split(val=0.15, test=0.2, seed=seed)
    wave_epochs = 8 if quick else 25
    conv_model = Conv1dNet(in_channels=1, num_classes=len(waves.target_names))
    _, conv_trainer = _fit(conv_model, ws, wave_epochs, seed, lr=3e-3)
    wave_rows = [{"model": "Conv1dNet", "reads": "128 samples, 1 channel", "parameters": conv_model.num_parameters(),
                  "test accuracy": conv_trainer.evaluate(ws.test)["accuracy"]}]
    for steps in ((8,) if quick else (128, 8)):  # the raw 128-step LSTM costs most; quick mode keeps the chunked one
        chunk = 128 // steps
        seq = datasets.Split(*(a.reshape(len(a), steps, chunk) if a.ndim == 3 else a for a in (
            ws.X_train, ws.y_train, ws.X_val, ws.y_val, ws.X_test, ws.y_test)))
        lstm_model = SequenceClassifier(input_size=chunk, hidden_size=64, num_classes=len(waves.target_names),
                                        cell="lstm")
        _, lstm_trainer = _fit(lstm_model, seq, wave_epochs, seed, lr=3e-3)
        wave_rows.append({"model": "LSTM(64)", "reads": f"{steps} steps of {chunk} sample{'s' if chunk > 1 else ''}",
                          "parameters": lstm_model.num_parameters(),
                          "test accuracy": lstm_trainer.evaluate(seq.test)["accuracy"]})
    chance = 1 / len(waves.target_names)
    conv_acc = wave_rows[0]["test accuracy"]
    lstm_text = []
    for row in wave_rows[1:]:
        acc = row["test accuracy"]
        lstm_text.append(f"the LSTM reading {row['reads']} reaches {acc:.3f}"
                         + pick(acc < chance + 0.1, f", barely above chance ({chance:.2f}): to compare shapes it must "
                                "carry information across the whole sequence, and the gradient that would teach it "
                                "to do so vanishes over that many steps (next figure)", ""))
    report.text("Classifying raw waveforms (sine, square, sawtooth, triangle, chirp) from 128 samples: 1-D "
                "convolutions see local shape (edges, slopes) directly, while the LSTM must integrate it step by step. "
                f"Measured after {wave_epochs} epochs: the Conv1dNet reaches {conv_acc:.3f}; " + "; ".join(lstm_text)
                + ". " + pick(all(conv_acc > r["test accuracy"] for r in wave_rows[1:]),
                              "The convolution wins at every setting tried.", "The LSTM is competitive here."))
    report.table(wave_rows, f"Conv1d vs LSTM on waveforms, test accuracy after epoch {wave_epochs}")

    norms = {"plain RNN (tanh)": gradient_norm_through_time("rnn", seed=seed),
             "LSTM, default initialisation": gradient_norm_through_time("lstm", seed=seed),
             "LSTM, forget-gate bias 1": gradient_norm_through_time("lstm", seed=seed, forget_bias=1.0)}
    ratios = {k: v[0] / v[-1] for k, v in norms.items()}
    report.figure(line_figure({k: per_epoch(v) for k, v in norms.items()}, "time step t", "||dL/dh_t||",
                              "Gradient norm through time", log_y=True), "Vanishing gradients")
    r_rnn, r_lstm, r_open = ratios.values()
    report.text(f"Vanishing gradients, measured: with a loss on the last of 30 steps, the gradient reaching the first "
                f"hidden state of the plain RNN is {r_rnn:.1e} times the one at the last step (each step multiplies "
                f"it by U^T diag(1 - h^2), which shrinks it). For the LSTM with its default initialisation the ratio "
                f"is {r_lstm:.1e}: " + pick(r_lstm < 1e-3, "it vanishes too. ", "it survives. ")
                + "The LSTM's cure is the cell state c_t = f_t * c_{t-1} + i_t * g_t: the gradient passes back through "
                "it multiplied only by the forget gate f_t, so it survives when f_t stays near 1. A forget-gate bias "
                f"of 1, the usual LSTM initialisation, opens the gate from the start: the ratio becomes {r_open:.1e}, "
                + pick(r_open > 100 * r_rnn, f"{r_open / r_rnn:,.0f} times the plain RNN's.",
                       "no better than the plain RNN's."))
    return {"rows_test_accuracy": results, "forecast_rmse": rmse, "waveforms": wave_rows,
            "grad_ratio_rnn": r_rnn, "grad_ratio_lstm": r_lstm, "grad_ratio_lstm_forget_bias_1": r_open}


# ---- 3. autoencoders -------------------------------------------------------------------------------------


def section_autoencoders(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("3. Autoencoders and the variational autoencoder")
    images = digit_images(seed)
    recon = datasets.Split(images.X_train, images.X_train, images.X_val, images.X_val, images.X_test, images.X_test,
                           task="regression")
    epochs = 10 if quick else 40
    results, grids = {}, []
    for name, model in (("dense (latent 16)", DenseAutoencoder(64, hidden=(128,), latent_dim=16)),
                        ("convolutional (latent 16)", ConvAutoencoder(1, latent_dim=16, input_size=8))):
        _, trainer = _fit(model, recon, epochs, seed, lr=2e-3, loss=nn.MSELoss(), metrics=(), task="regression")
        results[name] = trainer.evaluate(recon.test)["loss"]
        grids.append(trainer.predict(images.X_test[:10]))
    report.text("An autoencoder learns to copy its input through a narrow code z: the encoder must keep what "
                "matters, the decoder rebuilds the image from it. The reconstruction error on unseen digits "
                "measures how much the code captures.")
    report.figure(image_grid(np.concatenate([images.X_test[:10], *grids]), nrow=10,
                             title="Test digits (top), dense reconstructions (middle), convolutional (bottom)"),
                  "Reconstructions")
    report.table([{"autoencoder": k, "test reconstruction MSE": v} for k, v in results.items()],
                 f"After epoch {epochs}")

    ae2 = DenseAutoencoder(64, hidden=(128, 32), latent_dim=2)
    _fit(ae2, recon, epochs, seed, lr=2e-3, loss=nn.MSELoss(), metrics=(), task="regression")
    with nr.no_grad():
        codes = ae2.eval().encode(nr.tensor(images.X_test)).numpy()
    report.figure(_scatter(codes, images.y_test, "2-D codes of the test digits, coloured by class", axis="z"),
                  "Latent space")

    vae = VAE(64, hidden=(128,), latent_dim=2)
    nr.manual_seed(seed)
    opt = optim.Adam(vae.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(images.X_train.reshape(len(images.X_train), -1)), batch_size=64, shuffle=True,
                        seed=seed)
    elbo = []
    for _ in range(epochs * 2):
        total = 0.0
        for (x,) in loader:
            r, mu, logvar = vae(x)
            loss = vae_loss(r, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        elbo.append(total / len(loader.dataset))
    vae.eval()
    samples = vae.sample(40, np.random.default_rng(seed)).numpy().reshape(-1, 1, 8, 8)
    with nr.no_grad():
        mu_a, _ = vae.encode(nr.tensor(images.X_test[:1]))
        mu_b, _ = vae.encode(nr.tensor(images.X_test[images.y_test != images.y_test[0]][:1]))
        steps = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
        path = nr.tensor(mu_a.numpy() * (1 - steps) + mu_b.numpy() * steps)
        interpolation = vae.decode(path).sigmoid().numpy().reshape(-1, 1, 8, 8)
    report.text("A variational autoencoder makes the code space a probability distribution: the encoder outputs a "
                "Gaussian q(z|x), training maximises the evidence lower bound (reconstruction minus KL(q || N(0, I))), "
                "so any point drawn from N(0, I) decodes to a plausible digit, and straight lines between codes "
                "morph one digit into another.")
    report.figure(line_figure({"negative ELBO": elbo}, "epoch", "loss per digit", "VAE training"), "VAE loss")
    report.figure(image_grid(samples, nrow=10, title="VAE samples: z ~ N(0, I), decoded"), "Samples")
    report.figure(image_grid(interpolation, nrow=10, title="Latent interpolation between two test digits"),
                  "Interpolation")
    return {"reconstruction_mse": results, "vae_final_loss": elbo[-1]}


# ---- 4. GANs ----------------------------------------------------------------------------------------------


def section_gans(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("4. Generative adversarial networks")
    sigma = 0.05  # each mode's standard deviation; the ring has radius 2
    ring = datasets.ring_of_gaussians(n=4000, sigma=sigma, seed=seed)
    nr.manual_seed(seed)
    gan = GAN(latent_dim=2, data_dim=2, hidden=(128, 128))
    history = train_gan(gan, ring.X, epochs=50 if quick else 80, batch_size=64, lr=1e-3, seed=seed)
    samples = gan.sample(2000, np.random.default_rng(seed)).numpy()
    coverage = mode_coverage(samples, sigma=sigma)
    report.text("A GAN trains two networks against each other: the generator G turns noise into samples, the "
                "discriminator D tells real from generated, and G learns from D's gradient (the non-saturating "
                "loss -log D(G(z))). A classic failure is mode collapse: G covers only some of the data's modes. "
                "On a ring of 8 Gaussians (radius 2, sigma 0.05) we can measure it: a mode counts as covered when at "
                "least 5% of 2,000 samples lie within 3 sigma of it.")
    report.figure(_scatter(samples, None, f"2,000 GAN samples: {coverage['modes_covered']} of 8 modes covered",
                           extra=ring.X[:2000]), "Generated vs real")
    report.table([{"mode": i + 1, "share of samples": f} for i, f in enumerate(coverage["per_mode_fraction"])],
                 f"Mode coverage (high-quality samples: {coverage['high_quality_fraction']:.1%})")
    report.figure(line_figure({"D loss": history["d_loss"], "G loss": history["g_loss"]}, "epoch", "loss",
                              "Adversarial training"), "GAN losses")

    images = digit_images(seed)
    digits_01 = images.X_train * 2.0 - 1.0  # the DCGAN generator ends in tanh: data in [-1, 1]
    nr.manual_seed(seed)
    dcgan = DCGAN(latent_dim=16, channels=1, image_size=8)
    dc_history = train_gan(dcgan, digits_01, epochs=5 if quick else 30, batch_size=64, seed=seed, n_samples=32)
    picks = np.linspace(0, len(dc_history.samples) - 1, min(4, len(dc_history.samples))).astype(int)
    for i in picks:
        report.figure(image_grid((dc_history.samples[i] + 1) / 2, nrow=8,
                                 title=f"DCGAN samples after epoch {dc_history.sample_epochs[i]}"),
                      f"Epoch {dc_history.sample_epochs[i]}")
    return {"modes_covered": coverage["modes_covered"], "per_mode_fraction": coverage["per_mode_fraction"],
            "dcgan_final_d_loss": dc_history["d_loss"][-1]}


# ---- 5. deep RL ---------------------------------------------------------------------------------------------


def section_rl(report: HtmlReport, quick: bool, seed: int, out: Any) -> dict[str, Any]:
    report.section("5. Deep reinforcement learning")
    try:
        from neurona.rl.lab import rl_section
    except ImportError as e:
        report.warning(f"Deep RL needs the rl extra (pip install 'neurona[rl]'): {e}")
        return {"available": False}
    return rl_section(report, quick, seed, out)


def run(out: Any = "runs", quick: bool = False, seed: int = 0, console: Any = None) -> LabResult:
    """Run Lab 3 end to end and write ``report.html``."""
    with lab_folder(out, "lab3", quick, seed, console) as (folder, report, log):
        numbers: dict[str, Any] = {}
        for title, section in (("cnn", section_cnn), ("rnn", section_rnn), ("autoencoders", section_autoencoders),
                               ("gans", section_gans)):
            log(f"Lab 3: {title} ...")
            numbers[title] = section(report, quick, seed)
        log("Lab 3: deep RL ...")
        numbers["rl"] = section_rl(report, quick, seed, folder.path)
        summary = {"ConvNet test accuracy (Digits)": numbers["cnn"]["convnet_test_accuracy"],
                   "LeNet-5 test accuracy (Digits)": numbers["cnn"]["lenet_test_accuracy"],
                   "LSTM test accuracy (digits by rows)": numbers["rnn"]["rows_test_accuracy"]["lstm"],
                   "Conv1dNet test accuracy (waveforms)": numbers["rnn"]["waveforms"][0]["test accuracy"],
                   "GAN modes covered (of 8)": numbers["gans"]["modes_covered"]}
        return folder.finish(report, numbers, summary)
