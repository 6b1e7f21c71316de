#include "cluster/wire.hpp"

#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <vector>

#include "report/pickled.hpp"
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

IValue explanation_value(const Explanation& e) {
  Items diagnostics;
  for (const auto& [name, values] : e.diagnostics) {
    diagnostics.push_back(tuple({name, tensor_value(values)}));
  }
  return tuple({static_cast<int64_t>(e.kind), static_cast<int64_t>(e.output),
                tensor_value(e.classes), tensor_value(e.coefficients), tensor_value(e.intercepts),
                tensor_value(e.prediction), tuple(std::move(diagnostics))});
}

Explanation explanation_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  Explanation e;
  e.kind = static_cast<Explanation::Kind>(f.at(0).toInt());
  e.output = static_cast<OutputMode>(f.at(1).toInt());
  e.classes = tensor_of(f.at(2));
  e.coefficients = tensor_of(f.at(3));
  e.intercepts = tensor_of(f.at(4));
  e.prediction = tensor_of(f.at(5));
  for (const IValue& item : items_of(f.at(6))) {
    const std::vector<IValue> named = items_of(item);
    e.diagnostics[named.at(0).toStringRef()] = tensor_of(named.at(1));
  }
  return e;
}

IValue explained_value(const ExplainedPoints& p) {
  return tuple({p.explainer, tensor_value(p.index), explanation_value(p.explanation),
                list_value(p.feature_names, [](const std::string& n) { return IValue(n); }),
                p.tabular, tensor_value(p.preview)});
}

ExplainedPoints explained_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  return {
      f.at(0).toStringRef(),   tensor_of(f.at(1)),
      explanation_of(f.at(2)), list_of(f.at(3), [](const IValue& n) { return n.toStringRef(); }),
      f.at(4).toBool(),        tensor_of(f.at(5))};
}

/// A saved model: its bytes as a uint8 tensor (a pickled string must be valid text).
IValue model_value(const SavedModel& m) {
  torch::Tensor bytes = torch::empty({static_cast<int64_t>(m.bytes.size())}, torch::kUInt8);
  std::copy(m.bytes.begin(), m.bytes.end(), reinterpret_cast<char*>(bytes.data_ptr<uint8_t>()));
  return tuple({m.torchscript, bytes});
}

SavedModel model_of(const IValue& value) {
  const std::vector<IValue> f = items_of(value);
  const torch::Tensor bytes = f.at(1).toTensor().contiguous();
  const char* data = reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>());
  return {f.at(0).toBool(), std::string(data, data + bytes.numel())};
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
                list_value(r.points, point_values_value),
                list_value(r.explanations, explained_value), model_value(r.model)});
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
  r.explanations = list_of(f.at(9), explained_of);
  r.model = model_of(f.at(10));
  return tagged;
}

/// The list `bytes` hold, each item decoded; RunError naming `what` when they cannot be read.
template <class Decode>
auto decoded_list(const std::string& bytes, Decode decode, const std::string& what) {
  try {
    return list_of(unpickled(bytes), decode);
  } catch (const std::exception& e) {
    throw RunError(what + " from another rank cannot be read: " + e.what());
  }
}

}  // namespace

std::string encode_trials(const std::vector<TaggedTrial>& trials) {
  return pickled(list_value(trials, trial_value));
}

std::vector<TaggedTrial> decode_trials(const std::string& bytes) {
  return decoded_list(bytes, trial_of, "trial reports");
}

std::string encode_explanations(const std::vector<Explanation>& explanations) {
  return pickled(list_value(explanations, explanation_value));
}

std::vector<Explanation> decode_explanations(const std::string& bytes) {
  return decoded_list(bytes, explanation_of, "explanations");
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
