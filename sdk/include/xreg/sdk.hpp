#pragma once
/// Everything a plugin author needs: the four interfaces, the shared building blocks and the
/// registration macro.

#include <torch/autograd.h>

#include "xreg/sdk/explained_output.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/explanation.hpp"
#include "xreg/sdk/linear.hpp"
#include "xreg/sdk/metric.hpp"
#include "xreg/sdk/model.hpp"
#include "xreg/sdk/neighborhood.hpp"
#include "xreg/sdk/params.hpp"
#include "xreg/sdk/predict.hpp"
#include "xreg/sdk/register.hpp"
#include "xreg/sdk/regularizer.hpp"
