"""Self-checking exercises for the notebooks: write an answer, get "correct" or a hint."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise: its question, how to compute the right answer, and a hint.

    Attributes:
        question: the question as the notebook asks it.
        solution: a function of no arguments returning the correct answer
            (computed, never typed in, so it cannot drift from the maths).
        hint: what to think about when the answer is wrong.
        tolerance: absolute tolerance for numeric answers.
    """

    question: str
    solution: object
    hint: str
    tolerance: float = 1e-6


def _conv_params(kernel, in_channels, filters):
    return (kernel * kernel * in_channels + 1) * filters


def _lecture_cross_correlation():
    from cnn_course.convolution import cross_correlate2d

    x = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]])
    return cross_correlate2d(x, np.array([[-1, 1], [-1, 1]]))


def _box_iou(a, b):
    from cnn_course.evaluation import box_iou  # NumPy only, like this module

    return box_iou(a, b)


def _binary_crossentropy(labels, probabilities):
    y, p = np.asarray(labels, dtype=float), np.asarray(probabilities, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _valid_chain(size, steps):
    """Height after a chain of valid 3x3 convolutions ("conv") and 2x2 max poolings ("pool")."""
    from cnn_course.convolution import output_size

    for step in steps:
        size = output_size(size, 3) if step == "conv" else output_size(size, 2, stride=2)
    return size


def _pool(x):
    from cnn_course.convolution import pool2d

    return pool2d(x, 2, mode="max")


#: Every exercise, keyed "<notebook>.<name>"; every notebook has at least one.
EXERCISES = {
    "01.output_size_valid": Exercise(
        "A 32x32 image goes through a 5x5 convolution, stride 1, no padding. "
        "What is the output height?",
        lambda: (32 - 5 + 2 * 0) // 1 + 1,
        "Use floor((H - k + 2p) / s) + 1 with H=32, k=5, p=0, s=1.",
    ),
    "01.output_size_stride": Exercise(
        "A 64x64 image, 3x3 kernel, padding 1 on each side, stride 2. What is the output height?",
        lambda: (64 - 3 + 2 * 1) // 2 + 1,
        "Same formula; the division by the stride is rounded down before adding 1.",
    ),
    "01.same_padding": Exercise(
        "How many pixels of zero padding on each side keep a 7x7 kernel's output the same "
        "size as its input (stride 1)?",
        lambda: (7 - 1) // 2,
        "Solve H - k + 2p + 1 = H for p.",
    ),
    "01.cross_correlation": Exercise(
        "Compute the cross-correlation (no kernel flip, no padding) of the lecture's 4x5 "
        "image X with K = [[-1, 1], [-1, 1]]. Answer with a 2-D array.",
        _lecture_cross_correlation,
        "The output is 3x4. Each entry is the sum of the 2x2 patch times K, element by element: "
        "(right column) - (left column) of the patch.",
    ),
    "01.conv_params": Exercise(
        "How many parameters has Conv2D(64, (3, 3)) applied to a feature map with 32 channels?",
        lambda: _conv_params(3, 32, 64),
        "Each of the 64 filters has 3*3*32 weights and 1 bias.",
    ),
    "01.dense_params": Exercise(
        "How many parameters has Dense(100) on a flattened 1000x1000 grayscale image?",
        lambda: (1000 * 1000 + 1) * 100,
        "Every one of the 100 units has one weight per input pixel, plus a bias.",
    ),
    "02.pool_output_shape": Exercise(
        "A (26, 26, 32) feature map goes through MaxPooling2D((2, 2)). What is the output "
        "shape? Answer with a tuple.",
        lambda: (26 // 2, 26 // 2, 32),
        "Pooling halves height and width (rounding down) and never changes the channels.",
    ),
    "02.max_pool": Exercise(
        "Max-pool [[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]] with 2x2 windows, "
        "stride 2. Answer with a 2-D array.",
        lambda: _pool(np.array([[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]])),
        "Split the 4x4 grid into four 2x2 blocks and keep the largest number in each.",
    ),
    "02.receptive_field": Exercise(
        "Three 3x3 convolutions (stride 1), a 2x2 max pooling, then one more 3x3 convolution: "
        "how many pixels wide is the receptive field of a unit of the last convolution?",
        lambda: 1 + 3 * (3 - 1) * 1 + (2 - 1) * 1 + (3 - 1) * 2,
        "Each layer adds (kernel - 1) x jump, where the jump is 1 before the pooling and 2 after it: "
        "1 + 2 + 2 + 2, then + 1 for the pooling, then + 2 x 2.",
    ),
    "02.pool_params": Exercise(
        "How many trainable parameters has a MaxPooling2D layer?",
        lambda: 0,
        "Pooling computes a fixed function (the maximum) of each window.",
    ),
    "00.first_conv_params": Exercise(
        "How many parameters has the first layer of notebook 00's convnet, Conv2D(32, 3), on 64x64 "
        "colour images?",
        lambda: _conv_params(3, 3, 32),
        "Each of the 32 filters has 3*3 weights per input channel (3 channels) and 1 bias.",
    ),
    "03.batchnorm_params": Exercise(
        "BatchNormalization after a Conv2D with 32 filters: how many of its parameters are trainable, "
        "and how many are there in all? Answer with a tuple (trainable, total).",
        lambda: (2 * 32, 4 * 32),
        "Per channel it learns a scale and a shift, and keeps a moving mean and a moving variance "
        "that are updated, not trained.",
    ),
    "04.trainable_head": Exercise(
        "A frozen VGG16 base gives 4x4x512 features; on top: Flatten, Dense(256, relu), Dense(1, "
        "sigmoid). How many parameters does training change?",
        lambda: (4 * 4 * 512 + 1) * 256 + (256 + 1) * 1,
        "Only the head trains: Flatten gives 4*4*512 inputs to Dense(256), each unit with a bias; "
        "then 256 weights and a bias for the output unit.",
    ),
    "05.cam_map_height": Exercise(
        "shapes_convnet uses 3x3 'valid' convolutions and 2x2 max pooling. For a 64x64 image, how "
        "high is the output of block2_act1, the map notebook 05's Grad-CAM is computed on?",
        lambda: _valid_chain(64, ("conv", "pool", "conv")),
        "A valid 3x3 convolution takes 2 pixels off, a 2x2 pooling halves (rounding down): "
        "64 -> 62 -> 31 -> ?",
    ),
    "06.random_search_hit": Exercise(
        "5% of all hyperparameter settings are good enough. What is the probability that at least "
        "one of 60 independent random trials is one of them? Answer with a number between 0 and 1.",
        lambda: 1 - 0.95 ** 60,
        "The probability that one trial misses is 0.95; that all 60 miss is 0.95 ** 60.",
        tolerance=5e-3,
    ),
    "07.two_3x3_vs_one_5x5": Exercise(
        "With 64 channels in and out, how many weights (without biases) have two stacked 3x3 "
        "convolutions, and how many one 5x5 convolution? Answer with a tuple (two 3x3, one 5x5).",
        lambda: (2 * 3 * 3 * 64 * 64, 5 * 5 * 64 * 64),
        "A k x k convolution from C to C channels has k*k*C*C weights; the two 3x3 see 5x5 pixels, "
        "as the 5x5 does.",
    ),
    "01.conv3d_params": Exercise(
        "A Conv3D layer with 16 filters of 3x3x3 reads video frames with 3 colour channels. How many "
        "parameters does it have?",
        lambda: (3 * 3 * 3 * 3 + 1) * 16,
        "Each filter has one weight per kernel cell (3 * 3 * 3 of them) and input channel (3), plus a bias.",
    ),
    "03.crop_area": Exercise(
        "make_augmentation(crop=0.25) keeps a random window of 75% of the height and 75% of the width. What "
        "share of the image's area does the window keep?",
        lambda: 0.75 * 0.75,
        "Both sides shrink: the area is the product of the two shares kept.",
        tolerance=1e-3,
    ),
    "07.sigmoid_chain": Exercise(
        "Leave the weights aside: what is the largest share of a gradient that survives when it passes back "
        "through five sigmoid activations in a row (the product of their five derivatives, at best)?",
        lambda: 0.25 ** 5,
        "The sigmoid's derivative s * (1 - s) is largest at 0, where s = 0.5: 0.25. Five of them multiply to "
        "0.25 ** 5, about a thousandth; tanh's derivative reaches 1, ReLU's is 1 for every positive input.",
        tolerance=1e-6,
    ),
    "07.dense_channels": Exercise(
        "A dense block receives 64 channels and has 6 layers with growth rate 32. How many channels leave "
        "the block, and how many leave the transition after it, which keeps half? Answer with a tuple.",
        lambda: (64 + 6 * 32, (64 + 6 * 32) // 2),
        "Each layer concatenates its 32 new channels to everything before it: 64 + 6 * 32. The transition's "
        "1x1 convolution keeps half of them.",
    ),
    "10.backprop": Exercise(
        "x = 3, w1 = 0.5, w2 = 2, the network y = w2 * relu(w1 * x) and the loss (y - 1) ** 2. What is "
        "dL/dw1?",
        lambda: 2 * (2 * max(0.5 * 3, 0) - 1) * 2 * 3,
        "Forward: z = 1.5, h = 1.5, y = 3, L = 4. Backward: dL/dy = 2 * (y - 1) = 4, dL/dh = 4 * w2 = 8, "
        "dL/dz = 8 (z > 0, so ReLU passes it), dL/dw1 = 8 * x.",
        tolerance=1e-6,
    ),
    "10.tent_pieces": Exercise(
        "The tent function (2 ReLU units) composed with itself 6 times: how many straight pieces does it "
        "have on [0, 1], and how many units would one hidden layer of ReLU units need at least? Answer with a "
        "tuple (pieces, units).",
        lambda: (2 ** 6, 2 ** 6 - 1),
        "Each composition folds the function once more and doubles the pieces: 2, 4, 8, ... One hidden layer "
        "adds at most one bend per unit, and n pieces have n - 1 bends.",
    ),
    "10.momentum_step": Exercise(
        "Momentum 0.9, learning rate 0.01 and the same gradient g = 2 at every step. Once the velocity has "
        "settled, how far does a weight move in one step?",
        lambda: 0.01 * 2 / (1 - 0.9),
        "The velocity v = 0.9 * v + g settles where v = g / (1 - 0.9) = 20; the step is the learning rate "
        "times it: ten times plain SGD's step.",
        tolerance=1e-6,
    ),
    "01.gd_step": Exercise(
        "One weight w = 2, one example x = 3 with target y = 12, and the loss (w * x - y) ** 2. What is w "
        "after one step of gradient descent with learning rate 0.01?",
        lambda: 2 - 0.01 * (2 * (2 * 3 - 12) * 3),
        "The gradient of (w * x - y) ** 2 with respect to w is 2 * (w * x - y) * x; the step subtracts the "
        "learning rate times it.",
        tolerance=1e-4,
    ),
    "08.l2_penalty": Exercise(
        "A layer with weights [1, -2, 2] and the regulariser keras.regularizers.l2(0.01): what does it "
        "add to the loss?",
        lambda: 0.01 * sum(w * w for w in (1, -2, 2)),
        "L2 adds lam times the sum of the squared weights: 0.01 * (1 + 4 + 4).",
    ),
    "08.dropout_scale": Exercise(
        "Dropout(0.2) in training: a unit whose input is 1.0 and that is not dropped outputs what?",
        lambda: 1.0 / (1 - 0.2),
        "The kept units are multiplied by 1 / (1 - p), so that the mean stays the same.",
    ),
    "09.iou": Exercise(
        "A true box (0, 0, 4, 4) and a predicted box (2, 2, 6, 6), as (x0, y0, x1, y1) with the end excluded: "
        "what is their IoU?",
        lambda: _box_iou((0, 0, 4, 4), (2, 2, 6, 6)),
        "The overlap is a 2x2 square; the union is both areas minus the overlap, counted once.",
        tolerance=1e-3,
    ),
    "09.multilabel_loss": Exercise(
        "Sigmoid outputs [0.9, 0.2, 0.8, 0.1] for labels [1, 0, 1, 0]: what is the binary cross-entropy, "
        "the mean over the four units?",
        lambda: _binary_crossentropy([1, 0, 1, 0], [0.9, 0.2, 0.8, 0.1]),
        "Each unit adds -log(p) when its label is 1 and -log(1 - p) when it is 0; take the mean of the four "
        "(natural logarithms).",
        tolerance=1e-3,
    ),
}


def check(name, answer):
    """Check a student's answer to an exercise and print "Correct" or a hint.

    Args:
        name: the exercise's key in `EXERCISES`, e.g. "01.output_size_valid".
        answer: the student's answer: a number, a tuple, or an array. `None`
            (the notebooks' placeholder) means "not answered yet".

    Returns:
        True when the answer is right, else False. It never raises for a
        wrong answer, so a notebook runs top to bottom whatever is written.

    Raises:
        KeyError: for an unknown exercise name; the message lists them.

    Example:

    >>> from cnn_course.exercises import check
    >>> check("01.output_size_valid", 28)
    Correct!
    True
    >>> check("01.output_size_valid", 27)
    Not quite: you answered 27. Hint: Use floor((H - k + 2p) / s) + 1 with H=32, k=5, p=0, s=1.
    False
    """
    if name not in EXERCISES:
        raise KeyError(f"Unknown exercise {name!r}. Known exercises: {', '.join(EXERCISES)}")
    exercise = EXERCISES[name]
    if answer is None:
        print(f"Not answered yet: replace None with your answer. Question: {exercise.question}")
        return False
    expected = exercise.solution()
    got = np.asarray(answer, dtype=float) if not isinstance(answer, str) else None
    right = (got is not None and got.shape == np.shape(expected)
             and np.allclose(got, np.asarray(expected, dtype=float), atol=exercise.tolerance))
    if right:
        print("Correct!")
        return True
    shown = np.array2string(np.asarray(answer)) if np.ndim(answer) > 1 else repr(answer)
    extra = ""
    if got is not None and got.shape != np.shape(expected):
        extra = f" (your answer has shape {got.shape}; the answer has shape {np.shape(expected)})"
    print(f"Not quite: you answered {shown}{extra}. Hint: {exercise.hint}")
    return False


#: Worked answers to the "Try it yourself" items, keyed "<notebook>.<name>"; reveal one with `solution`.
#: They say what to change, what to look for and why; the numbers are the ones your run prints.
TRY_IT = {
    "00.two_blocks": (
        "Without the third block the map that reaches Flatten is larger (14x14x64 instead of 6x6x128 for "
        "64x64 images), so the first dense layer gets more inputs: the network has more parameters, not "
        "fewer, almost all of them in that dense layer. Compare model.count_params() of both. Expect no gain "
        "in test accuracy: each unit before Flatten sees a smaller part of the image, and the larger dense "
        "layer overfits more easily; your run's printout says how large the difference is."),
    "00.dense_baseline": (
        "models.build_dense flattens the 64x64x3 pixels into 12,288 inputs, so its first dense layer alone "
        "has (12,288 + 1) x 128 weights: more parameters than the convnet. Expect a lower test accuracy: it "
        "must learn every shape at every position separately; a convolution's filter is the same everywhere "
        "in the image."),
    "01.diagonal_kernel": (
        "A kernel that is positive on one side of the diagonal and negative on the other, e.g. np.array([[0, "
        "1, 2], [-1, 0, 1], [-2, -1, 0]]), responds where brightness grows towards the top-right corner, that"
        " is to edges running from the top-left to the bottom-right; flip it left to right for the other "
        "diagonal. Flat regions give about 0, and vertical or horizontal edges a weaker response than "
        "diagonal ones of the same contrast."),
    "01.sobel_on_colour": (
        "Stack the Sobel kernel once per channel: k = np.stack([sobel] * 3, axis=-1)[..., None], shape (3, 3,"
        " 3, 1). conv2d then sums the three channels' responses: an edge between two colours of equal "
        "brightness, invisible in the grayscale image, gives a response, and edges present in all three "
        "channels give about three times the grayscale response (the grayscale image is a weighted average of"
        " the channels)."),
    "02.no_pooling": (
        "Without pooling the 8x8 maps stay 8x8, so Flatten passes 8*8*32 = 2,048 values instead of 2*2*32 = "
        "128 to the dense layer: it gets 16 times more weights (explain.explain_model shows them in the dense"
        " row). Compare the accuracies your run prints: what pooling buys here is fewer parameters, and units"
        " that each summarise a larger part of the digit."),
    "02.shifted_digits": (
        "Use np.roll(test_x, 1, axis=2) (one pixel to the right) and evaluate again. Expect the dense network"
        " and logistic regression to lose the most: their weights are tied to pixel positions. The convnet "
        "loses less: its filters find the same strokes one pixel further on, and pooling absorbs part of the "
        "shift."),
    "03.strong_recipe": (
        "With rotations and zooms on top of flips and shifts, each epoch's images are harder, so validation "
        "accuracy passes 50% several epochs later than with the 'shapes' recipe; count the epochs in the "
        "progress lines. Whether it ends higher depends on the epochs it gets: strong augmentation pays only "
        "when training runs long enough."),
    "03.dropout": (
        "With dropout=0.5 the first epochs are slower: half of the 64 features are dropped at random in each "
        "step while the network is still finding them. With 0.2 the slowdown is smaller. Dropout helps most "
        "where a large dense layer can memorise the training set; this network has no hidden dense layer and "
        "already regularises with batch normalization and augmentation."),
    "03.gmp_old_recipe": (
        "Compare the number of parameters and the first epochs of both: the global max pooling head replaces "
        "the large Flatten -> Dense(64) with 64 features, one per channel. If the old recipe with this head "
        "leaves chance level within its first few epochs, the Flatten head was the main cause of the slow "
        "start; if it still lingers near 25%, the strong augmentation or the dropout was. Change one thing at"
        " a time to tell them apart."),
    "03.half_data": (
        "Expect that with half the images the network without augmentation overfits sooner (the gap between "
        "training and validation accuracy opens earlier and wider); the augmented network loses less, because"
        " each image still comes in new variants every epoch. Augmentation is worth most when data is scarce."),
    "04.per_class": (
        "Expect transfer learning to be far ahead of training from scratch with 20 images per class, and the "
        "network trained from scratch to catch up a good part of the way with 200, as more data lets it learn"
        " its own features. Transfer learning helps most when data is scarce and the source task resembles "
        "the target."),
    "04.fine_tune_deeper": (
        "Unfreezing from block2_conv1 trains most of the base on 200 images: many more weights, and the "
        "general early features (edges, colours) can drift to fit the small training set. Validation accuracy"
        " is usually no better, often worse, and each epoch is slower. Fine-tune only the top block(s), whose"
        " features are the most specific to the source task."),
    "05.other_class": (
        "Pass class_index for 'star' on a circle image: the map shows the places that raise the star score "
        "most, usually edges and corners that look a little like a star's points, with weaker values than for"
        " the predicted class. It shows what the network would count as evidence, not that a star is there."),
    "05.last_block": (
        "block3_act1's map is coarse (12x12 for a 64x64 image), so the heatmap is blurrier, but more of it "
        "lies inside the box: the last block's features are the ones global max pooling takes, one value per "
        "channel from wherever the shape is, so expect their gradients to point at the shape itself."),
    "07.relu_lenet": (
        "train_and_evaluate(lambda: architectures.lenet5((64, 64, 3), 4, name='lenet_relu', activation='relu', "
        "pooling='max')). With ReLU and max pooling it leaves chance: in our runs (seeds 0 and 1) its "
        "validation accuracy climbed, to 0.49 and 0.57 after 8 epochs (test accuracy 0.51 and "
        "0.57), where the sigmoid version stays at 0.25. It is still far below small_vgg: its two 5x5 "
        "layers see little of a 64x64 image, and its large dense layers must learn where each shape is."),
    "07.resnet_batchnorm": (
        "Expect batch normalization to make small_resnet's training accuracy climb faster; validation "
        "accuracy can jump around in the first epochs, because the moving statistics used at evaluation lag "
        "the batch statistics used in training."),
    "07.vgg_gap": (
        "Expect the average-pooling head to learn more slowly on these shapes in the same 8 epochs: averaging"
        " over the whole map dilutes a shape that fills a small part of the image, while the maximum keeps "
        "its strongest response wherever it is."),
    "07.vgg_320": (
        "With head='flatten' the count changes: Flatten gets 10x10x512 = 51,200 values at 320x320 instead of "
        "7x7x512 = 25,088, so the first dense layer grows. With head='gap' the count is the same at every "
        "input size: global average pooling always gives 512 values, one per channel."),
    "08.strong_l2": (
        "With lam = 1e-2 the training accuracy no longer reaches 100% (0.99 in our run, seed 0) and the "
        "weights shrink further; expect 1e-1 to outweigh the data: training accuracy falls far, and "
        "validation accuracy with it: the network underfits. The useful strength lies between too weak to "
        "matter and too strong to fit; find it on the validation set, as any hyperparameter."),
    "08.more_data": (
        "Use digits['train'].images and .labels whole. Expect the network, with six times more data, to "
        "memorise less and to reach a higher validation accuracy: more data is the most reliable "
        "regulariser, when you can get it."),
    "09.gap_box": (
        "Give the box head `what` instead of `where` (Dense(4, activation='sigmoid') on the pooled "
        "features). The class accuracy stays where it was, since the class head is unchanged, but the IoU "
        "falls far: a channel's maximum over all positions says that a feature is there, not where, so the "
        "box head can only learn an average box. GlobalAveragePooling2D loses position the same way. "
        "Localisation needs the maps flattened (or coordinates computed from them)."),
    "09.threshold": (
        "which = answers['multilabel'] >= 0.3 says yes more often: fewer shapes missed (false negatives) "
        "and more shapes named that are not there (false positives); 0.7 does the opposite. The threshold "
        "trades one mistake for the other, like a binary classifier's; choose it on the validation set, "
        "for the mistake that costs more in your problem."),
    "09.no_skips": (
        "Copy small_unet (??architectures.small_unet) and replace each Concatenate by the upsampled map "
        "alone. The decoder then rebuilds the mask from the 12x12 bottom maps only: the shapes' classes "
        "may still be found, but edges come out blurred and blocky, and the mean IoU drops, most for the "
        "thin star and triangle tips. The skips hand the decoder the fine positions pooling threw away."),
    "10.depth": (
        "At 30 layers the notebook's plain stack stays at chance; try 10 to find whether a shallower one "
        "learns, and 50 to see that depth only makes it worse. Expect the residual stack to learn at 50 too: "
        "each block's shortcut passes the signal and the gradient around the convolutions."),
    "10.he_and_batchnorm": (
        "With he_normal the activations no longer shrink layer by layer, and the plain stack starts to learn;"
        " with batch normalization after each convolution every layer's output is rescaled as well; compare "
        "the two runs' accuracies. Batch normalization cures the vanishing signal; what it does not cure is "
        "the degradation He et al. showed: a deep plain network with batch normalization still trains worse "
        "than a shallower one, which is what residual connections fix."),
    "10.sgd_rate": (
        "At 0.1 plain SGD keeps up with Adam (in our run, seed 0: training loss 0.10 and validation "
        "accuracy 0.94 after 6 epochs, against 0.80 at 0.01). At 1.0 the steps overshoot: the loss jumps "
        "above its starting value and stays at 2.3, and the network answers at chance (0.10). Plain SGD "
        "works, but only with its learning rate tuned; Adam's default works on most problems."),
    "10.residual_batchnorm": (
        "The residual stack with batch normalization ends far below both plain ones: in our run (seed 0), "
        "a training loss of 0.12 after 6 epochs, against 1.19 for 6 plain layers and 1.63 for 30. With "
        "the shortcuts depth helps again, as in He et al.'s experiments: the blocks start close to "
        "passing their input on, and each only has to learn a correction."),
}


def solution(name):
    """Print the worked answer of an exercise or of a "Try it yourself" item, after you have tried it.

    Args:
        name: a key of `EXERCISES` (e.g. "01.conv_params") or of `TRY_IT`
            (e.g. "03.dropout").

    Returns:
        None; it prints the answer and how to get there.

    Raises:
        KeyError: for an unknown name; the message lists the known ones.

    Example:

    >>> from cnn_course.exercises import solution
    >>> solution("01.conv_params")
    Answer: 18496
    How: Each of the 64 filters has 3*3*32 weights and 1 bias.
    """
    if name in EXERCISES:
        answer = EXERCISES[name].solution()
        shown = np.array2string(np.asarray(answer)) if np.ndim(answer) > 1 else answer
        print(f"Answer: {shown}\nHow: {EXERCISES[name].hint}")
    elif name in TRY_IT:
        print(TRY_IT[name])
    else:
        raise KeyError(f"Unknown exercise {name!r}. Exercises: {', '.join(EXERCISES)}; "
                       f"try-it items: {', '.join(TRY_IT)}")
