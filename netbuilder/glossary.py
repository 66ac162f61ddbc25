"""Plain words for every setting and term the app shows: the training settings, the dataset's, the diagnosis
thresholds, the sweep's options, the evaluation's columns and the ways of explaining an answer. The tooltips
and Help > Glossary read them from here (the layers' own parameters are described in their declarations,
layers/). No Qt, no torch: any package may import it."""
from __future__ import annotations

from html import escape

TRAINING = {
    "recipe": "What kind of training: supervised (classes or numbers), reconstruction (an autoencoder gives back"
              " its input), variational (a VAE), adversarial (a GAN), compare (several networks side by side) or"
              " next_token (a language model: it learns which character comes next in a text, and writes).",
    "optimizer": "How the weights are changed after each batch. adam is a good first choice; sgd is plain"
                 " gradient descent (with momentum, the classic); adamw is adam with weight decay kept apart;"
                 " rmsprop suits recurrent networks.",
    "lr": "Learning rate: how big a step the weights take after each batch. Too high and the loss jumps about or"
          " becomes NaN; too low and training crawls. 0.001 suits adam; sgd usually wants 0.01 to 0.1.",
    "momentum": "How much of the steps before each step keeps (sgd and rmsprop): 0.9 smooths the steps and"
                " speeds training up; 0 is plain gradient descent.",
    "nesterov": "Nesterov momentum (sgd): the step looks ahead along the momentum before it is corrected; often"
                " a little faster.",
    "weight_decay": "Pulls every weight a little towards zero at each step so that none grows large: a guard"
                    " against overfitting (learning the training samples by heart). 0 is off; 1e-4 is common.",
    "l1": "Adds the sum of the weights' sizes, times this number, to the loss: weights that are not needed go to"
          " exactly zero. 0 is off.",
    "clip_norm": "Clip norm: when the gradient of all the weights together is longer than this, it is shortened"
                 " to this length before the step, so one bad batch cannot throw the weights far (exploding"
                 " gradients). 0 is off; 1 to 5 is common for recurrent networks.",
    "loss": "What training makes small: how far the network's outputs are from the targets. cross_entropy for"
            " classes (nll when the network ends in log_softmax, bce_with_logits for yes/no), mse or l1 for numbers.",
    "batch_size": "How many samples the network sees before each step. Larger batches give smoother but fewer"
                  " steps an epoch, and need more memory.",
    "epochs": "How many times training goes through the whole training set.",
    "schedule": "How the learning rate changes during training: none keeps it; step multiplies it by gamma every"
                " step_size epochs; exponential by gamma every epoch; cosine lowers it smoothly to zero by the"
                " last epoch.",
    "step_size": "The step schedule: epochs between two cuts of the learning rate.",
    "gamma": "The step and exponential schedules: what the learning rate is multiplied by at each cut (0.5"
             " halves it).",
    "warmup_epochs": "Warmup epochs: the learning rate grows from near zero to its value over this many epochs"
                     " (before any schedule), so the first steps of a fresh network are gentle. 0 is none.",
    "early_stopping": "Early stopping: training stops when the validation loss has not improved for this many"
                      " epochs, and the best weights are kept. 0 is off: every epoch is trained.",
    "seed": "The number that fixes every random choice of a run (the first weights, the order of the batches,"
            " dropout): the same seed gives the same run.",
    "device": "Where training runs: auto takes a GPU (cuda for NVIDIA, mps for Apple) when there is one, else"
              " the cpu.",
    "mixed_precision": "On NVIDIA GPUs, computes in 16-bit numbers where that is safe: faster, and the results"
                       " are the same in practice.",
    "init_from": "Transfer learning: the layers whose name and shape match this checkpoint (a .pt file) start"
                 " from its weights instead of random ones.",
    "kl_weight": "Variational recipe: how much the KL term (which keeps the latent codes close to a standard"
                 " normal, so that new samples can be drawn) counts beside the reconstruction.",
    "noise_schedule": "Denoising recipe: how the noise grows from a clean sample (step 0) to pure noise (the last"
                      " step): linear (Ho et al.) or cosine (Nichol and Dhariwal; gentler at both ends).",
    "diffusion_steps": "Denoising recipe: T, how many small steps of noise lie between a sample and pure noise;"
                       " DDPM makes a new sample by going back through all of them.",
    "sampling": "Denoising recipe: how new samples are made from noise: ddpm goes back through every step,"
                " ddim through ddim_steps of them, many times faster.",
    "ddim_steps": "Denoising recipe: how many steps DDIM takes from noise back to a sample (at most"
                  " diffusion_steps); fewer is faster and a little rougher.",
    "ddim_eta": "Denoising recipe: how much fresh noise DDIM adds at each of its steps: 0 adds none (the same"
                " noise always gives the same sample), 1 adds as much as DDPM would between those steps. With a"
                " small network, some noise (1) often gives crisper samples than none.",
    "ema_decay": "Denoising recipe: new samples are made with a running average of the weights, which moves"
                 " this little towards the newest weights each step (0.999: the last thousand or so steps"
                 " count); steadier than the weights themselves. 0 is off.",
    "unit_range": "Denoising recipe: the data's range (its smallest to its largest value) is mapped onto -1..1"
                  " for training, as Ho et al. scale images, and new samples are mapped back; pictures in 0..1"
                  " then meet noise of about their own spread.",
    "snr_gamma": "Denoising recipe: each step's loss is weighted by min(SNR, snr_gamma) / SNR, SNR the share of"
                 " signal over noise at that step (Min-SNR, Hang et al.; 5 is theirs): the nearly clean steps,"
                 " whose faint noise is hard to see and matters little, count less, and training goes faster."
                 " 0 is off.",
    "memory_limit": "The share of this computer's memory a run may plan to use; a run that would need more is"
                    " refused before it starts.",
}

CHOICES = {  # the values of the training settings that are choices
    "sgd": "stochastic gradient descent: each step goes down the gradient of one batch",
    "adam": "adapts each weight's step size to its gradients' recent size; a good first choice",
    "adamw": "adam with weight decay applied directly to the weights (better with weight decay)",
    "rmsprop": "divides each step by the recent size of the weight's gradients; suits recurrent networks",
    "cross_entropy": "for classes: how unlikely the network found the right class (it gives a score per class)",
    "bce_with_logits": "for yes/no targets: one score per sample (or per label)",
    "mse": "for numbers: the mean of the squared differences; large errors count most",
    "l1": "for numbers: the mean of the absolute differences; less swayed by a few large errors",
    "nll": "for classes, when the network already ends in log_softmax",
    "none": "the learning rate stays as it is",
    "step": "the learning rate is multiplied by gamma every step_size epochs",
    "exponential": "the learning rate is multiplied by gamma every epoch",
    "cosine": "the learning rate falls smoothly along a half cosine to zero at the last epoch (as a noise"
              " schedule: the share of the signal left falls along a quarter cosine)",
    "linear": "the noise added at each step grows in a straight line, from 0.0001 to 0.02 over 1,000 steps",
    "ddpm": "denoising diffusion: new samples go back from noise through every step, a little noise added each",
    "ddim": "denoising diffusion implicit: new samples go back from noise through a few steps, with no noise added",
    "auto": "a GPU when this computer has one, else the cpu",
    "cpu": "the processor: always there, slowest for large networks",
    "cuda": "an NVIDIA graphics card (GPU)",
    "mps": "the graphics chip (GPU) of an Apple computer",
}

DATA = {
    "source": "Where the samples come from: a built-in dataset, or a file (CSV, .npy, .npz) or a folder of"
              " images (a subfolder per class) that you open; none until one is chosen.",
    "options": "The dataset's own options: how many samples to generate and their noise, a table's target"
               " column and missing values, the size and colour of images, the folder of a standard set.",
    "val_fraction": "Validation: the share of the samples held back to check the network after every epoch;"
                    " it never trains on them.",
    "test_fraction": "Test: the share of the samples held back until training ends, for a final, honest score"
                     " (a set that has its own test part keeps it).",
    "normalize": "How the inputs are rescaled, from the training samples only: none; standardize (each feature"
                 " to mean 0 and spread 1, each channel of an image); minmax (from 0 to 1).",
    "augment": "Random changes to the training images (flips, turns, shifts, brightness, noise), so that the"
               " network sees more variety and learns less by heart; images only.",
    "seed": "Fixes which samples go to training, validation and test, and the generated samples.",
    "classes": "Keep only these classes of a classification dataset (\"5-9\" or \"0, 2, 4\"; empty keeps all)."
               " They are relabelled 0, 1, 2... in the order written, so the last layer needs one output per kept"
               " class.",
    "labels_per_class": "Train on only this many labelled samples of each class (0: all of them), picked by the"
                        " seed; validation and test keep their share, so a few labels are judged on many samples."
                        " Transfer learning shines here.",
    "anomaly": "An anomaly-detection protocol: one_class (one class is normal: the network trains on it alone"
               " and every other class is an anomaly) or held_out (one class is the anomaly, kept out of"
               " training). Validation and test keep every class, labelled normal or anomaly.",
}

DATA_OPTIONS = {
    "n": "How many samples to generate.",
    "noise": "How much random noise is added to the generated samples.",
    "target": "The column to predict, by name or number (from 1); the other columns are the inputs. Empty: the"
              " last column.",
    "labels": "Off: a table without a target column; every column is an input (an autoencoder learns the rows,"
              " and its reconstruction error scores each row as normal or anomalous).",
    "missing": "What to do with empty cells and the few cells of a number column that are not numbers: error"
               " (refuse the file and say where), drop (leave those rows out) or mean (fill a number column's"
               " gaps with its mean, a text column's with its most common value).",
    "size": "Images are resized to this many pixels on each side.",
    "color": "rgb keeps the colours (3 channels); gray makes the images grey (1 channel).",
    "folder": "The folder that holds the dataset's files (a download goes there).",
    "seq_len": "Text: how many characters the network reads at once (a window); each window's target is the same"
               " window one character later.",
    "stride": "Text: how many characters apart the windows start (0: as many as seq_len, so they do not overlap).",
    "unknown": "Text: what becomes of a character of the validation or test part (or of a prompt) that the"
               " training part lacks: replace (it becomes the mark \ufffd) or drop (it is left out).",
    "max_vocab": "Text: the most distinct characters the vocabulary may have (the network's last layer has a"
                 " score for each).",
}

AUGMENT = {
    "flip": "Mirrors half of the training images left to right.",
    "rotate": "Turns each training image by a random angle of up to this many degrees either way.",
    "crop": "Shifts each training image by up to this many pixels.",
    "brightness": "Makes each training image brighter or darker by up to this much (pixels are 0 to 1).",
    "noise": "Adds random noise of this spread (standard deviation) to each training image.",
}

DIAGNOSIS = {
    "vanishing": "A layer's gradients are vanishing when their size stays below this: it has almost stopped"
                 " learning.",
    "ratio": "Gradients are vanishing towards the input when the input side's are this many times smaller than"
             " the output side's (1e-4: ten thousand times).",
    "exploding": "Gradients are exploding when their size rises above this: steps become huge, and the loss"
                 " jumps or becomes NaN.",
    "dead": "A ReLU is dead when this share of its outputs is zero: it passes nothing on, and learns nothing.",
    "saturated": "A sigmoid or tanh is saturated when this share of its outputs sits at its limits, where its"
                 " gradient is nearly zero.",
    "window": "How many recent steps the diagnosis looks at.",
    "sample_every": "Steps between two looks at the layers' outputs.",
}

SWEEP = {
    "varies": "What to vary, 1 to 4 things: a training setting or a layer's parameter, with the values to try:"
              " a range low..high (add :log to spread the tries evenly over the orders of magnitude) or a list"
              " a,b,c.",
    "trials": "How many runs the sweep makes, each with other values.",
    "sampler": "How the values of the next trial are chosen: tpe learns from the trials so far; random picks"
               " at random; grid tries every combination in turn.",
    "metric": "What the sweep looks for the best of: the lowest val_loss or the highest val_accuracy, at a"
              " trial's end.",
    "prune": "Median pruner: a trial whose result after an epoch is worse than the median of the earlier trials"
             " at that epoch is stopped early, so hopeless trials cost less time.",
    "seed": "Fixes the sampler's random choices: the same seed tries the same values.",
    "tpe": "Tree-structured Parzen Estimator (Optuna's default): after a few random trials it tries values"
           " close to those that did well, and fewer close to those that did badly.",
    "random": "Each trial's values at random, from the ranges and lists given.",
    "grid": "Every combination of the values (a range gives 3 points, or :N) in turn.",
    "val_loss": "The loss on the validation samples: lower is better.",
    "val_accuracy": "The share of the validation samples classified right: higher is better.",
}

EVALUATION = {
    "class": "The class (the true one for the rows of the confusion matrix).",
    "precision": "Of the test samples the network called this class, the share that really are of it.",
    "recall": "Of the test samples of this class, the share the network recognised.",
    "support": "How many test samples are of this class (the precision and recall rest on that many).",
}

ATTRIBUTION = {
    "saliency": "Saliency: how strongly a small change of each input value would change the answer (the size"
                " of the gradient): bright parts mattered most.",
    "ig": "Integrated Gradients: adds the gradients up along a straight path from a blank input to this one;"
          " steadier than saliency, and the parts add up to the answer.",
    "gradcam": "Grad-CAM: which regions of a convolution layer's output drove the answer, as a coarse heat map"
               " (for convolutional networks).",
}

SECTIONS = {"training": TRAINING, "choice": CHOICES, "data": DATA, "data option": DATA_OPTIONS,
            "augment": AUGMENT, "diagnosis": DIAGNOSIS, "sweep": SWEEP, "evaluation": EVALUATION,
            "attribution": ATTRIBUTION}
TITLES = {"training": "Training settings", "choice": "Training choices", "data": "Dataset settings",
          "data option": "Dataset options", "augment": "Augmentation", "diagnosis": "Diagnosis thresholds",
          "sweep": "Sweeps", "evaluation": "Test results", "attribution": "Explaining an answer"}


def words(section: str, name: str) -> str:
    """The plain words for `name` in `section` ("training", "data", "sweep", ...), or ""."""
    return SECTIONS.get(section, {}).get(name, "")


def tooltip(section: str, name: str, shown: str | None = None) -> str:
    """A tooltip: the term in bold, then its words (rich text, so that Qt wraps it); "" when it has none."""
    text, shown = words(section, name), shown or name.replace("_", " ")
    if not text:
        return ""
    if text.lower().startswith(shown.lower() + ": "):  # "Clip norm: when..." under "clip norm"
        text = text[len(shown) + 2:]
        text = text[:1].upper() + text[1:]
    return f"<p><b>{escape(shown)}</b>: {escape(text)}</p>"


def entries() -> list[tuple[str, str, str]]:
    """(section title, term, words) of every term, section by section."""
    return [(TITLES[key], name if key == "choice" or name in ("val_loss", "val_accuracy") else name.replace("_", " "),
             text) for key, terms in SECTIONS.items() for name, text in terms.items()]  # choices as written
