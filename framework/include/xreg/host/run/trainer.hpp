#pragma once
/// The training loop: minibatches from a reshuffling stream, a separate regularization batch
/// stream, Adam or SGD, early stopping on the validation objective with patience, and the
/// best weights restored at the end (ExpO's protocol, reference protocol §1.2–§1.5).

#include <memory>
#include <string>
#include <vector>

#include "xreg/sdk/data.hpp"
#include "xreg/sdk/model.hpp"
#include "xreg/sdk/params.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace xreg {

/// One regularizer of a pipeline with the host's settings of its slot.
struct WeightedRegularizer {
  std::string name;
  std::shared_ptr<Regularizer> regularizer;
  double weight = 1.0;            ///< absolute weight, or c of the relative mode
  bool relative = false;          ///< calibrate w = c * L_model(val) / R(10% of val) once at start
  int64_t batch_size = 16;        ///< points per regularization batch
  bool on_minibatch = false;      ///< evaluate on the step's training minibatch instead
  double effective_weight = 0.0;  ///< the weight used: `weight`, or the calibrated one
};

/// One epoch of training, for training curves.
struct EpochRecord {
  double train_loss = 0.0;  ///< the model's loss on the epoch's minibatches, mean over its steps
  /// Each regularizer's weighted penalty (the term it adds to the loss), mean over the steps.
  std::vector<double> penalties;
  /// The model's loss on the validation split after the epoch; NaN without one.
  double validation_loss = 0.0;
};

struct TrainResult {
  int64_t epochs = 0;       ///< epochs run
  int64_t best_epoch = -1;  ///< epoch whose weights were kept (-1: the last)
  double best_validation_objective = 0.0;
  double seconds = 0.0;
  /// Whether max_epochs ended training before early stopping would have: the result then
  /// depends on the cap, which reports say.
  bool stopped_by_cap = false;
  std::vector<std::string> regularizers;  ///< the names of EpochRecord::penalties' entries
  std::vector<EpochRecord> history;       ///< one record per epoch run
};

/// The training record as a double table [epochs, 2 + regularizers] (train loss, validation
/// loss, then each penalty), as checkpoints and multi-process runs carry it; and back.
torch::Tensor history_table(const TrainResult& result);
std::vector<EpochRecord> history_from_table(const torch::Tensor& table);

/// Where train_model keeps its state so that a run killed at any moment can go on from it
/// (`xreg run --resume`) and end with the numbers an uninterrupted run gives, bit for bit on CPU.
/// The state: the weights, the optimizer's moments, the early-stopping record with the best
/// weights, the batch streams' positions and torch's default generator.
struct TrainCheckpoint {
  std::string file;  ///< written atomically (write_file_atomically)
  /// Written after an epoch when this many seconds have passed since the last write (0: after
  /// every epoch), and always when training ends.
  double every_seconds = 30.0;
  bool resume = false;  ///< start from `file` when it exists
};

/// How a loss combines the examples of a batch: their mean (ExpO, SENN) or their sum (RRR's
/// reference, whose penalty is a sum over the batch too).
enum class Reduction { mean, sum };

/// The model's loss for its outputs on targets y: MSE (regression), sigmoid cross-entropy on
/// one logit (binary), softmax cross-entropy (multiclass), over the batch as `reduction` says.
torch::Tensor task_loss(const torch::Tensor& output, const torch::Tensor& y, Task task,
                        Reduction reduction = Reduction::mean);

/// Endless minibatches of indices into n points. Shuffled: a permutation consumed in order; a
/// batch that runs past its end takes the rest of it and the first indices of a fresh
/// permutation (ExpO's BatchManager), so every point is used once per pass over the data.
/// Seeded by (ctx seed, stream). Not shuffled: consecutive slices 0..batch, batch..2·batch, ...
/// in the data's order, the last one of each pass short (RRR's reference).
class BatchStream {
 public:
  BatchStream(int64_t n, int64_t batch, const Context& ctx, std::string stream,
              bool shuffle = true);
  torch::Tensor next();
  /// Batches in one pass over the data: n / batch shuffled (a pass ends mid-batch), the
  /// ceiling of it unshuffled.
  int64_t batches_per_pass() const;

  /// Where the stream stands: saved with a checkpoint, restored by seek().
  struct Position {
    torch::Tensor order;
    int64_t position = 0, shuffles = 0;
  };
  Position tell() const;
  void seek(const Position& position);

 private:
  void reshuffle();
  bool shuffle_;
  int64_t n_, batch_, position_ = 0, shuffles_ = 0;
  const Context& ctx_;
  std::string stream_;
  torch::Tensor order_;
};

/// Makes the model's parameters views of one flat leaf tensor, and their gradients views of its
/// gradient, and returns it: what train_model's optimizer updates, so that a step of Adam or SGD
/// is a few operations over one tensor rather than a few per parameter (on a small network, most
/// of a step's cost). Autograd accumulates into the views in place and the model keeps its own
/// tensors. Undefined, the parameters left as they were, when they do not share one dtype and
/// device or one is sparse, frozen or not a leaf. The parameters keep their own autograd version
/// counters, so autograd does not see a step on the flat tensor as modifying them: step only
/// after backward, as training does. Call once, before training.
torch::Tensor flatten_parameters(Model& model);

class Cluster;

/// Trains `model` on `train` with `settings` (validated against train_schema()), stopping
/// early on `validation`. Sets each regularizer's effective weight. Reports each finished epoch
/// through ctx.progress(epochs, max_epochs), with a total of 0 when training has no cap.
///
/// With `data_parallel`, this process's part of data-parallel training over its ranks (every
/// rank calls it alike): every rank draws the same minibatch, computes the loss of its
/// contiguous block of it (scaled so that the ranks' losses sum to the whole batch's) and its
/// part of each penalty: the same block of the regularizer's batch where the penalty is a mean
/// or a sum over points (Regularizer::form), otherwise the whole penalty on rank r mod size for
/// regularizer r; then the
/// parameters' gradients are summed over the ranks, so that every rank takes the step one
/// process takes, up to the order of float summation.
///
/// With `checkpoint`, saves its state as TrainCheckpoint says and, when asked, resumes from it.
TrainResult train_model(Model& model, std::vector<WeightedRegularizer>& regularizers,
                        const Dataset& train, const Dataset& validation, const Params& settings,
                        const Context& ctx, Cluster* data_parallel = nullptr,
                        const TrainCheckpoint* checkpoint = nullptr);

}  // namespace xreg
