r"""The 8×8 handwritten digits: 1,797 grey images of the digits 0–9.

The file ``nnmath/data/digits.npz`` holds the test part of the UCI "Optical
Recognition of Handwritten Digits" data (Alpaydin and Kaynak, 1998;
``alpaydin1998optdigits`` in the book's bibliography), as distributed with
scikit-learn under the BSD 3-Clause licence; ``nnmath/data/README.md`` gives
the licence and the citation. Each pixel counts the "on" pixels of a 4×4 block
of a 32×32 bitmap, an integer from 0 to 16.
"""

from importlib import resources

import numpy as np

__all__ = ["load_digits", "DIGITS_SHA256"]

#: SHA-256 of the raw bytes of the uint8 arrays ``images`` and ``labels`` (C order),
#: so a corrupted or replaced file is caught by the tests, not by a worse accuracy.
DIGITS_SHA256 = {
    "images": "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3",
    "labels": "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0",
}


def load_digits():
    """Load the 8×8 handwritten digits (1,797 images, 10 classes).

    Returns
    -------
    images : ndarray of float64, shape (1797, 8, 8)
        Pixel values in ``{0, 1, …, 16}`` (divide by 16 for ``[0, 1]``).
    labels : ndarray of int64, shape (1797,)
        The digit shown, 0 to 9; between 174 and 183 images per digit.

    Notes
    -----
    Chapter 25 trains a small convolutional network on these images; add a
    channel axis with ``images[:, None]`` to get the ``(N, C, H, W)`` layout
    of :class:`nnmath.Conv2d`.

    Examples
    --------
    >>> images, labels = load_digits()
    >>> images.shape, labels.shape, int(labels[0])
    ((1797, 8, 8), (1797,), 0)
    """
    path = resources.files("nnmath").joinpath("data", "digits.npz")
    with path.open("rb") as handle, np.load(handle) as archive:
        images, labels = archive["images"], archive["labels"]
        if images.shape != (1797, 8, 8) or labels.shape != (1797,):
            raise ValueError(f"load_digits: unexpected shapes {images.shape} and {labels.shape} "
                             f"in digits.npz")
        return images.astype(np.float64), labels.astype(np.int64)
