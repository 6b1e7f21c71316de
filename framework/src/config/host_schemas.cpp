#include "xreg/host/config/host_schemas.hpp"

#include "config/schema_keys.hpp"

namespace xreg {
namespace {

constexpr xreg_param_spec kRunSpecs[] = {
    param::integer("seed", "0",
                   "Seed from which every random stream of the run is derived (splits, "
                   "initialization, batches)."),
    param::integer("trials", "1",
                   "Number of trials; each draws a fresh split and a fresh initialization.")
        .at_least(1),
    param::path("output", "\"runs/xreg\"",
                "Folder of the run's results, relative to the pipeline file as every path in it "
                "(--output on the command line is relative to the working directory)."),
    param::strings("plugin_path", "[]",
                   "Folders searched for plugins, relative to the pipeline file."),
    param::string("device", "\"cpu\"", "LibTorch device to run on, such as cpu or cuda:0."),
    param::string("dtype", "\"float32\"", "Floating-point type of the models and the data.",
                  "float32|float64"),
    param::integer("threads", "0",
                   "Threads that explain and score blocks of the test points at once; 0: one "
                   "per core, or OMP_NUM_THREADS when set. Results are the same for any number: "
                   "each block's work is single-threaded and a point's values depend on its "
                   "index alone.")
        .non_negative(),
    param::integer("prototypes", "8",
                   "For a model with learned concepts (SENN): how many of the training examples "
                   "that activate each concept most are written to concepts/ with one explained "
                   "test point (CSV; PNG for images); 0: none.")
        .non_negative(),
    param::integer("max_rows_per_pass", "32768",
                   "Most rows evaluated in one forward pass, which bounds memory use. Results do "
                   "not depend on it; on a CPU, passes beyond about 2^15 rows run slower (their "
                   "activations no longer reuse freed memory), and a GPU may want more.")
        .at_least(1),
    param::integer("max_values_per_pass", "33554432",
                   "Most values (rows times values per row) one pass holds, so that wide "
                   "points (images, neighborhoods) get fewer rows; 2^25 values are 128 MiB of "
                   "float32. A training pass beyond it is refused before training.")
        .at_least(1),
    param::string("parallel", "\"auto\"",
                  "How a multi-process run (torchrun, srun, mpirun) spreads its work: trials (each "
                  "trial of each sweep point a job, jobs dealt round the ranks), points (every "
                  "rank trains; each explains and scores a block of the test points), data (as "
                  "points, and the ranks train together: each step's minibatch split over them, "
                  "gradients summed), or auto (trials when there are at least as many jobs as "
                  "ranks, else points). trials and points give one process's results bit for "
                  "bit; data gives them up to the order of float summation in training.",
                  "auto|trials|points|data"),
    param::real("checkpoint_every", "30.0",
                "Seconds of training between the checkpoints a run keeps in its folder for "
                "xreg run --resume (one is written when a trial's training ends, whatever this "
                "is); 0: after every epoch. Results do not depend on it.")
        .non_negative(),
    param::integer("timeout", "300",
                   "Seconds a multi-process run waits for every rank to join, and for a silent "
                   "rank before it names it lost and stops.")
        .at_least(1),
};

constexpr xreg_param_spec kDataSpecs[] = {
    param::string("format", "\"csv\"",
                  "Where the data come from: a CSV file, IDX image and label files (MNIST layout), "
                  "or a built-in set.",
                  "csv|idx|builtin"),
    param::path("path", "\"\"", "The whole data set as one CSV file, split anew for each trial."),
    param::path("train", "\"\"",
                "Training split as its own CSV file, used instead of `path` (no split drawn)."),
    param::path("val", "\"\"",
                "Validation split as its own CSV file; empty with train/test given: no "
                "validation data."),
    param::path("test", "\"\"",
                "Test split as its own CSV file; empty with train/val given: no test data."),
    param::path(
        "images", "\"\"",
        "format = \"idx\": the images, an IDX file [N, H, W] of bytes (gzip or plain), split "
        "with `split`; pixels are divided by 255 (see `pixels`). Fashion-MNIST: "
        "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz (Debian "
        "dataset-fashion-mnist)."),
    param::path("labels", "\"\"",
                "format = \"idx\": the labels of `images`, an IDX file of N classes 0..9."),
    param::path(
        "test_images", "\"\"",
        "format = \"idx\": test images in their own IDX file (with test_labels); `images` is "
        "then split into training and validation only, by the first two `split` "
        "fractions renormalized."),
    param::path("test_labels", "\"\"", "format = \"idx\": the labels of test_images."),
    param::path("iris", "\"\"",
                "generator = \"iris_cancer\": Fisher's iris as CSV with a header, 4 feature "
                "columns and the column `species` (0, 1, 2), e.g. ../shared/data/uci/iris.csv "
                "(scikit-learn's iris.csv with a header row)."),
    param::path("cancer", "\"\"",
                "generator = \"iris_cancer\": Wisconsin diagnostic breast cancer as CSV with a "
                "header, the columns `id`, `diagnosis` (M/B) and 30 features, e.g. "
                "../shared/data/uci/cancer.csv."),
    param::string("header", "\"auto\"",
                  "Whether the first row names the columns; auto: when any of its fields is not a "
                  "number; sklearn: the layout of scikit-learn's bundled data files (Debian's "
                  "python3-sklearn, sklearn/datasets/data/*.csv): a first line of the row and "
                  "feature counts, checked, then a line of names in some, then the rows.",
                  "auto|yes|no|sklearn"),
    param::string("target", "\"last\"",
                  "The target column: its name, its 0-based index (4 or \"4\"), or last."),
    param::strings("ignore", "[]",
                   "Columns that are neither features nor target (names or "
                   "0-based indices)."),
    param::strings("categorical", "[]",
                   "Feature columns to one-hot encode, one feature per distinct value named "
                   "column=value."),
    param::string("task", "\"regression\"",
                  "What the target is: real values, 0/1 labels, or class labels (format = "
                  "\"idx\": multiclass).",
                  "regression|binary|multiclass"),
    param::string("positive", "\"\"",
                  "Binary task: the label of class 1 (e.g. \"M\"); empty: labels are the numbers 0 "
                  "and 1."),
    param::reals("split", "[0.5, 0.25, 0.25]",
                 "Fractions of the rows for training, validation and test (sum 1).")
        .non_negative()
        .at_most(1),
    param::string("standardize", "\"train\"",
                  "Standardize features (each value of an image point) with the training "
                  "split's mean and sample SD, or not (format = \"idx\": none, pixels stay as "
                  "`pixels` reads them; toy_colors: none keeps the raw 0..255 of RRR's reference).",
                  "train|none"),
    param::boolean("standardize_target", "false",
                   "Regression: standardize the target with training statistics as well."),
    param::boolean("drop_missing", "false",
                   "Leave out rows with an empty value instead of stopping with an error."),
    param::integers("shape", "[]",
                    "One point's shape, e.g. [1, 8, 8] to give image models 8x8 digits read from "
                    "a CSV; its product must equal the number of features. Empty: as read, [d] "
                    "for a table and [1, H, W] for IDX images.")
        .positive(),
    param::string(
        "generator", "\"friedman1\"",
        "The built-in data set (format = \"builtin\"): friedman1, Friedman's regression "
        "problem #1 (10 features); toy_colors, RRR's toy colours (RGB images [3, 5, 5] of raw "
        "values 0..255, classes 0 and 1: task = \"binary\" or \"multiclass\"); decoy, RRR's "
        "decoy MNIST from images/labels (and test_images/test_labels), split as format = "
        "\"idx\" splits them, raw pixels 0..255, each image with a 4x4 swatch in a random "
        "corner of value 255 - 25 y in the training and validation splits and 255 - 25 r, r "
        "random, in the test split (task = \"multiclass\"); iris_cancer, RRR's Iris-Cancer "
        "composite from `iris` and `cancer` (100 rows, 4 Iris then 30 cancer features, classes "
        "0 and 1). The references' raw inputs need standardize = \"none\".",
        "friedman1|toy_colors|decoy|iris_cancer"),
    param::integer("samples", "1000",
                   "Number of rows of the generated built-in sets (not decoy or iris_cancer), all "
                   "split with `split` (toy_colors "
                   "as RRR's reference, 20000 training and 20000 test images: samples = 40000, "
                   "split = [0.5, 0.0, 0.5]).")
        .at_least(1),
    param::real("noise", "1.0", "SD of the Gaussian noise added to the built-in target.")
        .non_negative(),
    param::strings("irrelevant", "[]",
                   "Features annotated as irrelevant for every row of every split (annotations "
                   "= 1 there, for RRR): feature names, a categorical column's name for all its "
                   "one-hot features, or 0-based indices among the features (\"4\"; for images "
                   "row-major over the point as read, e.g. [3, 5, 5]). Empty, with annotations = "
                   "\"none\": the run has no annotations."),
    param::strings("zero_in_test", "[]",
                   "Features set to 0 in the test split, before standardization (names or "
                   "0-based indices as in `irrelevant`): iris_cancer's \"Iris out\" test, "
                   "zero_in_test = [\"0\", \"1\", \"2\", \"3\"]."),
    param::string("annotations", "\"none\"",
                  "A built-in set's own annotation mask, 1 at the inputs that must not matter, "
                  "for every row; combined with `irrelevant`. toy_colors: corners (the 4 corner "
                  "pixels, 12 values: the reference's ignore_rule1, which leaves the model rule "
                  "2), top_middle (the 3 top-middle pixels, 9 values: ignore_rule2) or both. "
                  "decoy: swatch (each image's own 16 swatch pixels). iris_cancer: iris (the 4 "
                  "Iris columns).",
                  "none|corners|top_middle|both|swatch|iris"),
    param::path(
        "annotation_file", "\"\"",
        "A per-row annotation mask (1 = the input must not matter, for RRR), one row per row of "
        "the data that are split: path's data rows (those drop_missing leaves out included), "
        "images' items (format = \"idx\", generator = \"decoy\") or a generator's rows; the "
        "rows of test_images get 0; not with train/val/test files. .csv: a line of 0/1 values "
        "per row, one per feature after one-hot encoding (images: per value of a point, "
        "row-major), after an optional header listing exactly the feature names. .idx, -ubyte or "
        ".gz: an IDX file of bytes [N, ...] with a point's number of values per item, nonzero = "
        "1. Each row keeps its mask through the split; combined with `irrelevant` and "
        "`annotations` (elementwise max). Empty: none."),
    param::string("pixels", "\"unit\"",
                  "format = \"idx\": pixels divided by 255 into [0, 1] (unit), or the raw bytes "
                  "0..255 (raw), as generator = \"decoy\" reads them and RRR's reference trains "
                  "on them.",
                  "unit|raw"),
};

constexpr xreg_param_spec kTrainSpecs[] = {
    param::boolean("enabled", "true", "Whether the model is trained; false evaluates it as is."),
    param::string("optimizer", "\"adam\"", "Optimizer of the training loss.", "adam|sgd"),
    param::real("lr", "0.001", "Learning rate of the optimizer.").positive(),
    param::real("momentum", "0.0", "Momentum of the sgd optimizer (ignored by adam).")
        .non_negative()
        .less_than(1),
    param::real("weight_decay", "0.0", "L2 penalty on the model's parameters.").non_negative(),
    param::integer("batch_size", "128", "Number of training rows per optimizer step.").at_least(1),
    param::boolean("shuffle", "true",
                   "true: each pass over the training rows in a fresh random order, a batch "
                   "running past its end finished from the next (ExpO); false: consecutive "
                   "batches in the data's order, the last of each pass short (RRR's reference)."),
    param::string("loss_reduction", "\"mean\"",
                  "How the training loss combines a batch's examples: their mean (ExpO, SENN) "
                  "or their sum (RRR's reference). Validation losses are means either way.",
                  "mean|sum"),
    param::integer("max_epochs", "1000",
                   "Most passes over the training split; 0: no cap, training runs until early "
                   "stopping ends it (as ExpO's reference), which needs a validation split.")
        .non_negative(),
    param::integer("min_epochs", "50",
                   "Fewest passes over the training split before early stopping; a max_epochs "
                   "below it wins (--set train.max_epochs=2 for a quick look).")
        .non_negative(),
    param::integer("patience", "50",
                   "Training stops when epoch - best_epoch > patience and epoch > min_epochs.")
        .non_negative(),
    param::real("tol", "0.0",
                "A validation loss counts as better when it is below the best one minus tol.")
        .non_negative(),
    param::boolean("restore_best", "true",
                   "Keep the weights of the best validation epoch; false keeps the last epoch's."),
};

constexpr xreg_param_spec kFindAnotherSpecs[] = {
    param::integer("iterations", "0",
                   "Find-another-explanation (RRR, Ross et al. 2017): models trained one after "
                   "another, each from a fresh initialization, model t+1 with the training "
                   "annotations A_t+1 = A_t | M_c(input gradients of model t on the training "
                   "inputs); 0: off. Needs [train] enabled = true and a classifier.")
        .non_negative(),
    param::real("threshold", "0.67",
                "c of the mask M_c = |g| > c·max|g| per example (strict), g the input gradient "
                "of the predicted class's probability (the reference's 0.67).")
        .non_negative()
        .less_than(1),
};

constexpr xreg_param_spec kRegularizerSlotSpecs[] = {
    param::real("weight", "1.0", "Weight of the regularizer's term in the training loss.")
        .non_negative(),
    param::string("weight_mode", "\"absolute\"",
                  "absolute: the term is multiplied by weight; relative: weight is a fraction of "
                  "the task loss, calibrated once at initialization.",
                  "absolute|relative"),
    param::integer("batch_size", "16",
                   "Number of rows of each training batch on which the regularizer is evaluated.")
        .at_least(1),
    param::string("batch", "\"separate\"",
                  "separate: the penalty is evaluated on its own stream of batch_size training "
                  "rows (ExpO's UCI code); minibatch: on the step's own training minibatch "
                  "(ExpO's MNIST code), and batch_size is unused.",
                  "separate|minibatch"),
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
};

constexpr xreg_param_spec kLabeledSlotSpecs[] = {
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
};

constexpr xreg_param_spec kMetricSlotSpecs[] = {
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
    param::strings("explainers", "[]",
                   "Labels of the explainers whose explanations this metric scores; empty: all."),
};

template <size_t N>
Schema host_schema(const xreg_param_spec (&specs)[N]) {
  return schema_from_specs(specs, N, sizeof(xreg_param_spec));
}

}  // namespace

const Schema& run_schema() {
  static const Schema schema = host_schema(kRunSpecs);
  return schema;
}

const Schema& data_schema() {
  static const Schema schema = host_schema(kDataSpecs);
  return schema;
}

const Schema& train_schema() {
  static const Schema schema = host_schema(kTrainSpecs);
  return schema;
}

const Schema& find_another_schema() {
  static const Schema schema = host_schema(kFindAnotherSpecs);
  return schema;
}

const Schema& regularizer_slot_schema() {
  static const Schema schema = host_schema(kRegularizerSlotSpecs);
  return schema;
}

const Schema& labeled_slot_schema() {
  static const Schema schema = host_schema(kLabeledSlotSpecs);
  return schema;
}

const Schema& metric_slot_schema() {
  static const Schema schema = host_schema(kMetricSlotSpecs);
  return schema;
}

const Schema& no_host_keys() {
  static const Schema kEmpty;
  return kEmpty;
}

std::vector<std::string> names_of(const Schema& schema) {
  std::vector<std::string> names;
  for (const ParamSchema& param : schema) names.push_back(param.name);
  return names;
}

}  // namespace xreg
