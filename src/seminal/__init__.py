"""seminal: seminal deep-learning papers as components, proofs and reproductions.

Chapters:

* :mod:`seminal.adam` -- Adam and AdaMax (Kingma & Ba, 2014, arXiv:1412.6980).
* :mod:`seminal.stn` -- Spatial Transformer Networks (Jaderberg et al., 2015, arXiv:1506.02025).
* :mod:`seminal.gan` -- Generative Adversarial Nets (Goodfellow et al., 2014, arXiv:1406.2661).
"""

__version__ = "0.1.0"
