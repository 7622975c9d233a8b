"""Intent classifier: tf-idf weighting and a linear SVM over the featurizers' sparse features.

Built on Rasa's `LogisticRegressionClassifier` (its features and its skops persistence) with
scikit-learn's `TfidfTransformer` (sublinear term frequency) and `LinearSVC` instead of plain
logistic regression. On this project's 12-language data (about 10,000 short examples of 16
intents) it trains in seconds where DIET took over ten minutes on 2 cores, and it scores higher
on the held-out set (`make eval`; docs/benchmark.md).

Confidences: an SVM gives scores, not probabilities. They are turned into probabilities by
temperature scaling — softmax(score × T), with the one T that minimises the log-loss of
3-fold cross-validated scores — which keeps the SVM's ranking (per-class sigmoid calibration
changes the top intent and cost 1-3 points of macro-F1 here). The fallback threshold and the
form's confidence checks read these probabilities.
"""

from __future__ import annotations

import collections
import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

#: Temperatures tried (scores of a linear SVM are about -2..2).
_TEMPERATURES = np.geomspace(0.5, 30, 40)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfSvmIntentClassifier(LogisticRegressionClassifier):
    """Linear SVM on tf-idf weighted sparse sentence features, with temperature-scaled scores."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs sparse features (CountVectorsFeaturizer)."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`C` of the SVM, folds used to fit the temperature, ranking length."""
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "calibration_folds": 3,
            "max_iter": 5000,
        }

    def __init__(
        self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = self._pipeline()
        self.temperature = 1.0

    def _pipeline(self) -> Pipeline:
        return Pipeline(
            [
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
                (
                    "svm",
                    LinearSVC(
                        C=self.config["C"],
                        max_iter=self.config["max_iter"],
                        random_state=self.config["random_state"],
                    ),
                ),
            ]
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the SVM on everything and the temperature on cross-validated scores."""
        X, y_list = self._create_training_matrix(training_data)
        if not y_list:
            return super().train(training_data)
        y = np.asarray(y_list)
        folds = self.config["calibration_folds"]
        rare = sorted(name for name, count in collections.Counter(y_list).items() if count < folds)
        if rare:
            logger.warning("Intents with fewer than %d examples are not learnt: %s", folds, rare)
            keep = np.array([name not in rare for name in y_list])
            X, y = X[keep], y[keep]
        scores = cross_val_predict(
            self._pipeline(),
            X,
            y,
            cv=StratifiedKFold(folds, shuffle=True, random_state=self.config["random_state"]),
            method="decision_function",
        )
        classes = np.unique(y)
        truth = np.searchsorted(classes, y)
        losses = [
            -np.mean(np.log(softmax(scores * t, axis=1)[np.arange(len(y)), truth] + 1e-12))
            for t in _TEMPERATURES
        ]
        self.temperature = float(_TEMPERATURES[int(np.argmin(losses))])
        self.clf.fit(X, y)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and the ranking with temperature-scaled probabilities.

        A message without features (empty or blank text) gets no intent, as with DIET: the
        conversation decides what to do with it (the form says "I didn't get a message").
        """
        usable = [m for m in messages if m.get(TEXT) and m.get_sparse_features(TEXT)[1]]
        for message in messages:
            if message not in usable:
                message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        if not usable:
            return messages
        X = self._create_X(usable)
        probabilities = softmax(self.clf.decision_function(X) * self.temperature, axis=1)
        intents = self.clf.classes_
        for index, message in enumerate(usable):
            scored = sorted(
                (
                    (float(p), str(name))
                    for name, p in zip(intents, probabilities[index], strict=True)
                ),
                key=lambda pair: -pair[0],
            )
            ranking = [{"name": name, "confidence": p} for p, name in scored]
            message.set("intent", ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        """The pipeline (skops, like Rasa's classifier) and the temperature (JSON)."""
        super().persist()
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / "temperature.json").write_text(json.dumps({"T": self.temperature}))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfSvmIntentClassifier:
        """Loads the pipeline and the temperature.

        skops refuses types outside its default list; the tf-idf step adds exactly one (SciPy's
        sparse matrix holding the idf vector). Anything else in the file is refused, as Rasa's
        own classifier does.
        """
        import skops.io as sio

        with model_storage.read_from(resource) as model_dir:
            path = model_dir / f"{resource.name}.skops"
            untrusted = sio.get_untrusted_types(file=path)
            unexpected = sorted(set(untrusted) - {"scipy.sparse._csr.csr_matrix"})
            if unexpected:
                raise ValueError(f"refusing to load unexpected types: {unexpected}")
            clf = sio.load(path, trusted=untrusted)
            temperature = json.loads((model_dir / "temperature.json").read_text())["T"]
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf = clf
        component.temperature = float(temperature)
        return component
