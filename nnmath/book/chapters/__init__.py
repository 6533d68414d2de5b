"""Each chapter's own code: ``chNN_name.py`` belongs to ``derivations/NN_name.ipynb``.

What is here is demonstration or study: a formula shown the way the chapter
derives it, a counterexample, a measurement. What a network needs to train
is in the library (:mod:`nnmath`), never here.
"""
