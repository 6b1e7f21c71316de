#include "cluster/wire.hpp"

#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <vector>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

using c10::IValue;
using Items = std::vector<IValue>;

IValue tuple(Items items) { return c10::ivalue::Tuple::create(std::move(items)); }

std::vector<IValue> items_of(const IValue& value) { return value.toTupleRef().elements().vec(); }

IValue tensor_value(const torch::Tensor& tensor) {
  return tensor.defined() ? IValue(tensor.detach().cpu()) : IValue();
}

torch::Tensor tensor_of(const IValue& value) {
  return value.isNone() ? torch::Tensor() : value.toTensor();
}

template <class T, class Encode>
IValue list_value(const std::vector<T>& items, Encode encode) {
  Items encoded;
  for (const T& item : items) encoded.push_back(encode(item));
  return tuple(std::move(encoded));
}

template <class Decode>
auto list_of(const IValue& value, Decode decode) {
  std::vector<decltype(decode(value))> decoded;
  for (const IValue& item : items_of(value)) decoded.push_back(decode(item));
  return decoded;
}

IValue summary_value(const MetricSummary& m) {
  return tuple({m.metric, m.output, m.mean, m.sd, m.count});
}

MetricSummary summary_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  return {f[0].toStringRef(), f[1].toInt(), f[2].toDouble(), f[3].toDouble(), f[4].toInt()};
}

IValue summaries_value(const std::vector<MetricSummary>& rows) {
  return list_value(rows, summary_value);
}

std::vector<MetricSummary> summaries_of(const IValue& value) { return list_of(value, summary_of); }

IValue training_value(const TrainResult& t) {
  return tuple({t.epochs, t.best_epoch, t.best_validation_objective, t.seconds, t.stopped_by_cap,
                list_value(t.regularizers, [](const std::string& n) { return IValue(n); }),
                history_table(t)});
}

TrainResult training_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  TrainResult t;
  t.epochs = f[0].toInt();
  t.best_epoch = f[1].toInt();
  t.best_validation_objective = f[2].toDouble();
  t.seconds = f[3].toDouble();
  t.stopped_by_cap = f[4].toBool();
  t.regularizers = list_of(f[5], [](const IValue& n) { return n.toStringRef(); });
  t.history = history_from_table(f[6].toTensor());
  return t;
}

IValue concepts_value(const ConceptFigures& c) {
  return tuple({tensor_value(c.prototype_rows), tensor_value(c.prototype_activations),
                tensor_value(c.prototype_inputs), tensor_value(c.explained_input),
                tensor_value(c.explained_relevances), c.explained_output});
}

ConceptFigures concepts_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  ConceptFigures c;
  c.prototype_rows = tensor_of(f[0]);
  c.prototype_activations = tensor_of(f[1]);
  c.prototype_inputs = tensor_of(f[2]);
  c.explained_input = tensor_of(f[3]);
  c.explained_relevances = tensor_of(f[4]);
  c.explained_output = f[5].toInt();
  return c;
}

IValue point_values_value(const PointValues& p) {
  return tuple({p.metric, tensor_value(p.index), tensor_value(p.values)});
}

PointValues point_values_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  return {f[0].toStringRef(), tensor_of(f[1]), tensor_of(f[2])};
}

IValue iteration_value(const FindAnotherIteration& i) {
  return tuple({summaries_value(i.metrics), tensor_value(i.mask)});
}

FindAnotherIteration iteration_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  return {summaries_of(f[0]), tensor_of(f[1])};
}

std::string pickled(const IValue& value) {
  const std::vector<char> bytes = torch::jit::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

IValue unpickled(const std::string& bytes) {
  return torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
}

IValue trial_value(const TaggedTrial& tagged) {
  const TrialReport& r = tagged.report;
  return tuple({tagged.pipeline, r.trial, r.trained, training_value(r.training),
                summaries_value(r.metrics),
                list_value(r.notes, [](const std::string& n) { return IValue(n); }),
                concepts_value(r.concepts), list_value(r.find_another, iteration_value),
                list_value(r.points, point_values_value)});
}

TaggedTrial trial_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  TaggedTrial tagged;
  tagged.pipeline = f.at(0).toInt();
  TrialReport& r = tagged.report;
  r.trial = f.at(1).toInt();
  r.trained = f.at(2).toBool();
  r.training = training_of(f.at(3));
  r.metrics = summaries_of(f.at(4));
  r.notes = list_of(f.at(5), [](const IValue& n) { return n.toStringRef(); });
  r.concepts = concepts_of(f.at(6));
  r.find_another = list_of(f.at(7), iteration_of);
  r.points = list_of(f.at(8), point_values_of);
  return tagged;
}

}  // namespace

std::string encode_trials(const std::vector<TaggedTrial>& trials) {
  return pickled(list_value(trials, trial_value));
}

std::vector<TaggedTrial> decode_trials(const std::string& bytes) {
  try {
    return list_of(unpickled(bytes), trial_of);
  } catch (const std::exception& e) {
    throw RunError(std::string("trial reports from another rank cannot be read: ") + e.what());
  }
}

std::string encode_tensor(const torch::Tensor& tensor) { return pickled(tensor_value(tensor)); }

torch::Tensor decode_tensor(const std::string& bytes) {
  try {
    return tensor_of(unpickled(bytes));
  } catch (const std::exception& e) {
    throw RunError(std::string("values from another rank cannot be read: ") + e.what());
  }
}

}  // namespace xreg
/// The list `bytes` hold, each item decoded; RunError naming `what` when they cannot be read.
template <class Decode>
auto decoded_list(const std::string& bytes, Decode decode, const std::string& what) {
  try {
    return list_of(unpickled(bytes), decode);
  } catch (const std::exception& e) {
    throw RunError(what + " from another rank cannot be read: " + e.what());
  }
}

