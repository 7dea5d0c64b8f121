"""Artifact classes and the artifact URI <-> local path convention.

URI to local path:
  gs://b/k     -> /gcs/b/k
  s3://b/k     -> /s3/b/k
  minio://b/k  -> /minio/b/k
  azblob://c/k -> /azblob/c/k  (Sluice only)
  oci://r/x:t  -> /oci/r_x:t   (plus '/models' for Model.path)
  anything else is used as the path unchanged.
An artifact whose metadata has ``_kfp_workspace: true`` lives under
``<workspace>/.artifacts/<mapped path>``; a ``custom_path`` overrides all.

Environment knobs (Sluice extensions, both optional):
  SLUICE_WORKSPACE_PATH    workspace root (default /kfp-workspace)
  SLUICE_URI_PATH_PREFIX   directory prepended to the mapped local path of
                           remote (gs/s3/minio/oci) URIs, e.g. a host cache.
"""

import math
import os

__all__ = [
    'Artifact', 'Model', 'Dataset', 'Metrics', 'ClassificationMetrics',
    'SlicedClassificationMetrics', 'HTML', 'Markdown',
    'SCHEMA_TITLE_TO_CLASS', 'uri_to_local_path', 'local_path_to_uri'
]

_REMOTE_SCHEMES = (
    ('gs://', '/gcs/'),
    ('s3://', '/s3/'),
    ('minio://', '/minio/'),
    ('azblob://', '/azblob/'),  # Sluice only: KFP has no Azure mount
)
_OCI_SCHEME = 'oci://'
_OCI_DIR = '/oci/'
DEFAULT_WORKSPACE_PATH = '/kfp-workspace'
WORKSPACE_METADATA_KEY = '_kfp_workspace'


def workspace_path():
    return os.environ.get('SLUICE_WORKSPACE_PATH') or DEFAULT_WORKSPACE_PATH


def _mount_prefix():
    prefix = os.environ.get('SLUICE_URI_PATH_PREFIX') or ''
    return prefix.rstrip('/')


def uri_to_local_path(uri, model=False):
    """Maps an artifact URI to the local path user code reads/writes."""
    if uri is None:
        return None
    for scheme, local in _REMOTE_SCHEMES:
        if uri.startswith(scheme):
            return _mount_prefix() + local + uri[len(scheme):]
    if uri.startswith(_OCI_SCHEME):
        path = _mount_prefix() + _OCI_DIR + uri[len(_OCI_SCHEME):].replace(
            '/', '_')
        if model:
            path += '/models'
        return path
    return uri


def local_path_to_uri(path):
    """Reverse of uri_to_local_path for paths below the known mount dirs."""
    if path is None:
        return None
    path = str(path)
    ws_root = workspace_path().rstrip('/') + '/.artifacts/'
    if path.startswith(ws_root):
        path = '/' + path[len(ws_root):]
    prefix = _mount_prefix()
    if prefix and path.startswith(prefix + '/'):
        stripped = path[len(prefix):]
        if any(stripped.startswith(local) for _, local in _REMOTE_SCHEMES) \
                or stripped.startswith(_OCI_DIR):
            path = stripped
    for scheme, local in _REMOTE_SCHEMES:
        if path.startswith(local):
            return scheme + path[len(local):]
    if path.startswith(_OCI_DIR):
        rest = path[len(_OCI_DIR):]
        if rest.endswith('/models'):
            rest = rest[:-len('/models')]
        return _OCI_SCHEME + rest
    return path


class Artifact(object):
    """Generic artifact: a name, a URI, a metadata dict and a local path."""

    schema_title = 'system.Artifact'
    schema_version = '0.0.1'
    TYPE_NAME = 'system.Artifact'

    def __init__(self, name=None, uri=None, metadata=None):
        self.name = name or ''
        self.uri = uri or ''
        self.metadata = dict(metadata) if metadata else {}
        self.custom_path = None

    def _is_model(self):
        return False

    @property
    def path(self):
        if self.custom_path:
            return self.custom_path
        local = uri_to_local_path(self.uri, model=self._is_model())
        if local and self.metadata.get(WORKSPACE_METADATA_KEY) is True:
            local = os.path.join(workspace_path(), '.artifacts',
                                 local.lstrip('/'))
        return local

    @path.setter
    def path(self, path):
        self.uri = local_path_to_uri(path)

    def set_path(self, path):
        """Stores the artifact at an explicit local path (custom_path)."""
        self.custom_path = str(path)
        parent = os.path.dirname(self.custom_path)
        if parent:
            try:
                os.makedirs(parent, exist_ok=True)
            except OSError:
                pass

    def _to_executor_output(self):
        out = {
            'name': self.name,
            'uri': self.uri,
            'metadata': json_safe(self.metadata),
        }
        if self.custom_path:
            out['custom_path'] = self.custom_path
        return out

    def __repr__(self):
        return '%s(name=%r, uri=%r, metadata=%r)' % (
            type(self).__name__, self.name, self.uri, self.metadata)


class Model(Artifact):
    schema_title = 'system.Model'
    TYPE_NAME = schema_title

    def _is_model(self):
        return True

    @property
    def framework(self):
        return self.metadata.get('framework', '')

    @framework.setter
    def framework(self, framework):
        self.metadata['framework'] = framework


class Dataset(Artifact):
    schema_title = 'system.Dataset'
    TYPE_NAME = schema_title


class Metrics(Artifact):
    """Scalar metrics: metadata is a flat ``{name: number}`` map."""

    schema_title = 'system.Metrics'
    TYPE_NAME = schema_title

    def log_metric(self, metric, value):
        self.metadata[metric] = value


class ClassificationMetrics(Artifact):
    """ROC curve (``confidenceMetrics``) and ``confusionMatrix`` metadata."""

    schema_title = 'system.ClassificationMetrics'
    TYPE_NAME = schema_title

    def __init__(self, name=None, uri=None, metadata=None):
        super(ClassificationMetrics, self).__init__(name, uri, metadata)
        self._categories = []
        self._matrix = []
        cm = self.metadata.get('confusionMatrix')
        if isinstance(cm, dict):
            self._categories = [
                s.get('displayName', '') for s in cm.get('annotationSpecs', [])
            ]
            self._matrix = [list(r.get('row', [])) for r in cm.get('rows', [])]

    def log_roc_data_point(self, fpr, tpr, threshold):
        self.metadata.setdefault('confidenceMetrics', []).append({
            'confidenceThreshold': threshold,
            'recall': tpr,
            'falsePositiveRate': fpr,
        })

    def log_roc_curve(self, fpr, tpr, threshold):
        fpr, tpr, threshold = list(fpr), list(tpr), list(threshold)
        if not len(fpr) == len(tpr) == len(threshold):
            raise ValueError(
                'log_roc_curve: fpr, tpr and threshold must have the same '
                'length, got %d, %d, %d' % (len(fpr), len(tpr), len(threshold)))
        for f, t, th in zip(fpr, tpr, threshold):
            self.log_roc_data_point(fpr=f, tpr=t, threshold=th)

    def _sync_matrix(self):
        self.metadata['confusionMatrix'] = {
            'annotationSpecs': [{'displayName': c} for c in self._categories],
            'rows': [{'row': list(r)} for r in self._matrix],
        }

    def set_confusion_matrix_categories(self, categories):
        self._categories = [str(c) for c in categories]
        n = len(self._categories)
        self._matrix = [[0] * n for _ in range(n)]
        self._sync_matrix()

    def _category_index(self, category):
        try:
            return self._categories.index(category)
        except ValueError:
            raise ValueError('Unknown confusion matrix category %r; known: %r' %
                             (category, self._categories))

    def log_confusion_matrix_row(self, row_category, row):
        row = list(row)
        if len(row) != len(self._categories):
            raise ValueError(
                'Confusion matrix row has %d values, expected %d (one per '
                'category)' % (len(row), len(self._categories)))
        self._matrix[self._category_index(row_category)] = row
        self._sync_matrix()

    def log_confusion_matrix_cell(self, row_category, col_category, value):
        r = self._category_index(row_category)
        c = self._category_index(col_category)
        self._matrix[r][c] = value
        self._sync_matrix()

    def log_confusion_matrix(self, categories, matrix):
        matrix = [list(r) for r in matrix]
        if len(matrix) != len(list(categories)):
            raise ValueError(
                'Confusion matrix has %d rows, expected %d (one per category)'
                % (len(matrix), len(list(categories))))
        self.set_confusion_matrix_categories(categories)
        for category, row in zip(self._categories, matrix):
            self.log_confusion_matrix_row(category, row)


class SlicedClassificationMetrics(Artifact):
    """Classification metrics per slice, stored as ``evaluationSlices``."""

    schema_title = 'system.SlicedClassificationMetrics'
    TYPE_NAME = schema_title

    def __init__(self, name=None, uri=None, metadata=None):
        super(SlicedClassificationMetrics, self).__init__(name, uri, metadata)
        self._slices = {}

    def _slice(self, slice_name):
        cm = self._slices.get(slice_name)
        if cm is None:
            cm = ClassificationMetrics()
            self._slices[slice_name] = cm
        return cm

    def _sync(self):
        self.metadata['evaluationSlices'] = [{
            'slice': name,
            'sliceClassificationMetrics': dict(cm.metadata),
        } for name, cm in self._slices.items()]

    def log_roc_reading(self, slice, threshold, tpr, fpr):  # noqa: A002
        self._slice(slice).log_roc_data_point(fpr=fpr, tpr=tpr,
                                              threshold=threshold)
        self._sync()

    def load_roc_readings(self, slice, readings):  # noqa: A002
        cm = self._slice(slice)
        for reading in readings:
            threshold, tpr, fpr = list(reading)[:3]
            cm.log_roc_data_point(fpr=fpr, tpr=tpr, threshold=threshold)
        self._sync()

    def set_confusion_matrix_categories(self, slice, categories):  # noqa: A002
        self._slice(slice).set_confusion_matrix_categories(categories)
        self._sync()

    def log_confusion_matrix_row(self, slice, row_category, row):  # noqa: A002
        self._slice(slice).log_confusion_matrix_row(row_category, row)
        self._sync()

    def log_confusion_matrix_cell(self, slice, row_category, col_category,
                                  value):  # noqa: A002
        self._slice(slice).log_confusion_matrix_cell(row_category,
                                                     col_category, value)
        self._sync()

    def load_confusion_matrix(self, slice, categories, matrix):  # noqa: A002
        self._slice(slice).log_confusion_matrix(categories, matrix)
        self._sync()


class HTML(Artifact):
    schema_title = 'system.HTML'
    TYPE_NAME = schema_title


class Markdown(Artifact):
    schema_title = 'system.Markdown'
    TYPE_NAME = schema_title


_KNOWN_CLASSES = (Artifact, Model, Dataset, Metrics, ClassificationMetrics,
                  SlicedClassificationMetrics, HTML, Markdown)
SCHEMA_TITLE_TO_CLASS = dict((c.schema_title, c) for c in _KNOWN_CLASSES)
_NAME_TO_CLASS = dict((c.__name__.lower(), c) for c in _KNOWN_CLASSES)


def class_for_name(name):
    """'Dataset', 'system.Dataset', 'dataset' -> Dataset; else None."""
    if not isinstance(name, str):
        return None
    if name in SCHEMA_TITLE_TO_CLASS:
        return SCHEMA_TITLE_TO_CLASS[name]
    return _NAME_TO_CLASS.get(name.lower())


def is_artifact_class(obj):
    if not isinstance(obj, type):
        return False
    if issubclass(obj, Artifact):
        return True
    return isinstance(getattr(obj, 'schema_title', None), str)


def is_artifact(obj):
    if isinstance(obj, Artifact):
        return True
    return (not isinstance(obj, type) and
            isinstance(getattr(obj, 'schema_title', None), str) and
            hasattr(obj, 'uri') and hasattr(obj, 'metadata'))


def make_artifact(cls, name, uri, metadata):
    """Instantiates an artifact of ``cls`` (also for foreign classes)."""
    try:
        return cls(name=name, uri=uri, metadata=metadata)
    except TypeError:
        obj = cls()
        obj.name, obj.uri, obj.metadata = name, uri, metadata
        return obj


def json_safe(value):
    """Converts numpy-like values, tuples and non-finite floats for JSON.

    NaN/Infinity become the strings 'NaN'/'Infinity'/'-Infinity' (the
    protobuf JSON convention), since JSON has no literal for them.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'NaN'
        if math.isinf(value):
            return 'Infinity' if value > 0 else '-Infinity'
        return float(value)
    if isinstance(value, dict):
        return dict((str(k), json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    tolist = getattr(value, 'tolist', None)
    if callable(tolist):  # numpy arrays and scalars
        return json_safe(tolist())
    item = getattr(value, 'item', None)
    if callable(item):
        return json_safe(item())
    raise TypeError('Value %r of type %s is not JSON serializable' %
                    (value, type(value).__name__))
