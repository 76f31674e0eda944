"""The networks of the Adam paper's experiments (Kingma & Ba, 2015, §6).

Each class is the model of one figure; sizes the paper gives are defaults, sizes it leaves open
(dropout rates, likelihood) are arguments whose chosen values are listed as deviations in
``docs/papers/adam-reproduction.md``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["VAE", "CifarCNN", "DropoutMLP", "LogisticRegression"]


class LogisticRegression(nn.Module):
    """Multinomial logistic regression on raw pixels (§6.1, Fig. 1 left): logits = W·x + b."""

    def __init__(self, in_features: int = 784, num_classes: int = 10) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B, 10) logits
        return self.linear(x.flatten(1))

    def l2_penalty(self) -> torch.Tensor:
        """½‖W‖² over the weights (not the bias): the L2 regulariser of §6.1."""
        return 0.5 * self.linear.weight.pow(2).sum()


class DropoutMLP(nn.Module):
    """Fully connected net of §6.2 (Fig. 2a): 784 -> [hidden ReLU + dropout] x depth -> 10.

    The paper gives "two fully connected hidden layers with 1000 hidden units each and ReLU
    activation" trained "with dropout stochastic regularization"; it does not give the dropout
    rate, so ``dropout`` (default 0.5 on each hidden layer) is our choice.
    """

    def __init__(self, in_features: int = 784, hidden: int = 1000, depth: int = 2,
                 num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B, 10) logits
        return self.net(x.flatten(1))


class VAE(nn.Module):
    """Variational auto-encoder of §6.4 (Fig. 4): one hidden layer of softplus units per side.

    Encoder q(z|x) = N(μ(x), diag σ²(x)) with 784 -> 500 softplus -> (μ, log σ²) in R^50; decoder
    p(x|z) = Bernoulli(sigmoid(logits)) with 50 -> 500 softplus -> 784. The prior is N(0, I).
    """

    def __init__(self, in_features: int = 784, hidden: int = 500, latent: int = 50) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.Softplus())
        self.to_mean = nn.Linear(hidden, latent)
        self.to_log_var = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Softplus(), nn.Linear(hidden, in_features))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (decoder logits (B, 784), μ (B, 50), log σ² (B, 50)); z is drawn from torch's RNG."""
        h = self.encoder(x.flatten(1))
        mean, log_var = self.to_mean(h), self.to_log_var(h)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)  # reparameterisation trick
        return self.decoder(z), mean, log_var

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of −ELBO = −E_q[log p(x|z)] + KL(q(z|x) ‖ N(0, I)), in nats."""
        x = x.flatten(1)
        logits, mean, log_var = self(x)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)
        return (reconstruction + kl).mean()


class CifarCNN(nn.Module):
    """The CIFAR-10 network of §6.3 (Fig. 3): c64-c64-c128-1000.

    Three stages of 5×5 convolution (padding 2) + ReLU + 3×3 max-pooling with stride 2, then a
    fully connected layer of 1000 ReLU units and a 10-way softmax. Dropout (rate our choice, the
    paper gives none) is applied to the input of the FC layers.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        channels = 3
        for out in (64, 64, 128):
            stages += [nn.Conv2d(channels, out, kernel_size=5, padding=2), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1)]
            channels = out
        self.features = nn.Sequential(*stages)  # (B, 3, 32, 32) -> (B, 128, 4, 4)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(128 * 4 * 4, 1000), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(1000, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, 32, 32) -> (B, 10) logits
        return self.classifier(self.features(x))
