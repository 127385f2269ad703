"""neurona.sklearn: scikit-learn's own estimator checks, nested module__ parameters, and the estimators inside
Pipeline, GridSearchCV, cross_val_score and Optuna's OptunaSearchCV."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurona import nn
from neurona.sklearn import NeuronaClassifier, NeuronaRegressor

# Every check of scikit-learn 1.9 passes; none is listed as an expected failure. scikit-learn itself skips
# the array-API check unless SCIPY_ARRAY_API=1 is set (neurona computes with NumPy only).


@parametrize_with_checks([NeuronaClassifier(max_epochs=30, lr=0.01), NeuronaRegressor(max_epochs=30, lr=0.01)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_nested_module_parameters_and_clone():
    clf = NeuronaClassifier("mlp", module__hidden=(16, 8), module__dropout=0.1, lr=0.01)
    params = clf.get_params()
    assert params["module__hidden"] == (16, 8) and params["module__dropout"] == 0.1 and params["lr"] == 0.01
    clf.set_params(module__hidden=(4,), max_epochs=3)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf
    twin.fit(*load_iris(return_X_y=True))
    widths = [m.out_features for m in twin.module_ if isinstance(m, nn.Linear)]
    assert widths == [4, 3] and twin.n_epochs_ == 3 and len(twin.loss_curve_) == 3


def test_misspelt_parameter_is_reported_by_fit():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match=r"unexpected arguments \['hiden'\].*module__"):
        NeuronaClassifier(hiden=(4,)).fit(X, y)
    with pytest.raises(ValueError, match="optimizer: 'lbfgs' is not one of"):
        NeuronaClassifier(optimizer="lbfgs").fit(X, y)


def test_classifier_learns_string_labels_and_probabilities(iris):
    X_train, X_test, y_train, y_test = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = make_pipeline(StandardScaler(), NeuronaClassifier(module__hidden=(16,), lr=0.01, max_epochs=60,
                                                            random_state=0))
    clf.fit(X_train, names[y_train])
    assert list(clf.classes_) == list(names)
    assert clf.score(X_test, names[y_test]) >= 0.9
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert (names[proba.argmax(1)] == clf.predict(X_test)).all()


def test_a_module_instance_is_a_template_and_fits_are_reproducible(iris):
    X_train, X_test, y_train, _ = iris
    template = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    before = {k: v.numpy().copy() for k, v in template.state_dict().items()}
    a = NeuronaClassifier(template, max_epochs=5, random_state=3).fit(X_train, y_train)
    b = NeuronaClassifier(template, max_epochs=5, random_state=3).fit(X_train, y_train)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    for k, v in template.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_callable_module_and_partial_fit(iris):
    X_train, _, y_train, _ = iris

    def build(n_features, n_outputs, width=6):
        return nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, n_outputs))

    clf = NeuronaClassifier(build, module__width=5)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_train, y_train)
    clf.partial_fit(X_train[:40], y_train[:40], classes=[0, 1, 2])
    clf.partial_fit(X_train[40:], y_train[40:])
    assert clf.n_epochs_ == 2 and clf.module_[0].out_features == 5
    with pytest.raises(ValueError, match="labels \\[7\\] are not in classes"):
        clf.partial_fit(X_train[:3], np.array([0, 1, 7]))


def test_grid_search_and_cross_val_score_in_a_pipeline(iris):
    X_train, X_test, y_train, y_test = iris
    pipe = make_pipeline(StandardScaler(), NeuronaClassifier(max_epochs=30, random_state=0))
    search = GridSearchCV(pipe, {"neuronaclassifier__module__hidden": [(4,), (16,)],
                                 "neuronaclassifier__lr": [1e-3, 1e-2]}, cv=3)
    search.fit(X_train, y_train)
    assert search.best_params_["neuronaclassifier__lr"] == 1e-2  # 30 epochs at 1e-3 barely move
    assert search.score(X_test, y_test) >= 0.9
    scores = cross_val_score(make_pipeline(StandardScaler(), NeuronaRegressor(module__hidden=(32,), lr=0.01,
                                                                              max_epochs=60)),
                             *load_diabetes(return_X_y=True), cv=3, scoring="r2")
    assert scores.mean() > 0.3


def test_optuna_search_cv(iris):
    optuna = pytest.importorskip("optuna")
    integration = pytest.importorskip("optuna_integration")
    X_train, X_test, y_train, y_test = iris
    search = integration.OptunaSearchCV(
        NeuronaClassifier(max_epochs=40, random_state=0),
        {"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True),
         "module__hidden": optuna.distributions.CategoricalDistribution([8, 16])},
        n_trials=4, cv=3, random_state=0, verbose=0)
    search.fit(StandardScaler().fit(X_train).transform(X_train), y_train)
    assert len(search.trials_) == 4 and set(search.best_params_) == {"lr", "module__hidden"}
    assert search.best_score_ > 0.8


def test_regressor_multi_output_shape():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Y = np.stack([y, -y], axis=1) / 100
    reg = NeuronaRegressor(module__hidden=(16,), lr=0.01, max_epochs=20).fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2) and reg.score(X, Y) > 0.2
    assert NeuronaRegressor(max_epochs=2).fit(X, y).predict(X).shape == (len(X),)
