"""linear-tanh: a separating line trained through an activation (docs/math.md s.1).

This is its card; model.py holds the model and its kernel, separator.py the
activation/loss family, start.py the multistart, labels.py the two classes and
classification.py the classification report, loaded on first use.
"""

from ..card import ModelCard, ModelOption, SynthSetting

ACTIVATIONS = ("tanh", "sigmoid")
LOSSES = ("squared", "cross-entropy")
FORMS = ("tutorial", "general")

OPTIONS = (
    ModelOption("activation", "tanh", "tanh (labels read as +1/-1) or sigmoid (read as 1/0).",
                ACTIVATIONS),
    ModelOption("loss_function", "squared",
                "squared: (act(z) - label)^2, the tutorial's; cross-entropy: -log P(label), "
                "computed from z (with tanh, P(+1) = (tanh z + 1)/2).", LOSSES),
    ModelOption("form", "tutorial",
                "tutorial: z = k x + b - y (+1 below the line); general: z = w1 x + w2 y + w0, "
                "all three free, as in logistic regression.", FORMS),
    ModelOption("standardize", None,
                "Tutorial form: measure z in units of std(y), so the loss does not depend on "
                "y's units (the default); `standardize=False` uses the tutorial's raw z.",
                type=bool),
    ModelOption("positive", None,
                "The label read as +1 [default: 1 for +1/-1 and 0/1 labels, else the second "
                "value in sorted order]."),
)
SYNTH_SETTINGS = (
    SynthSetting("gap", 0.0, "Empty band of this height around the line", 0.0),
    SynthSetting("scale", 1.0, "Multiply x, y (and b) by this", 1e-300),
)


CARD = ModelCard(
    name="linear-tanh",
    module="linear_tanh.model",
    summary="Fit a line separating two classes of labelled points (x, y, label).",
    description="""The tutorial's form: z = k x + b - y, loss (tanh(z) - label)^2, +1 below the line;
    `activation`, `loss_function` and `form` choose sigmoid, cross-entropy and logistic
    regression's z = w1 x + w2 y + w0.  The labels may be any two values (+1/-1, 0/1,
    yes/no...).  Prints the line, the loss and a classification report (accuracy,
    confusion matrix, misclassified rows, minimum margin).""",
    columns=("x", "y", "label"),
    inits=("auto", "zero", "random"),
    init_help="Start: auto (best of a least-squares line and a grid of lines), zero or random.",
    options=OPTIONS,
    synth_settings=SYNTH_SETTINGS,
    measured=False,
)

