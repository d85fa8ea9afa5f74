"""Retrieval toolkit shared by the ReID pipelines: faiss nearest neighbours, sparse k-reciprocal
re-ranking and Jaccard distances, ReID metrics, camera / track / smoothing post-processing, query
expansion (alpha-QE, DBA), distance fusion, ranked-list files and pictures. ``python -m
common.retrieval.bench`` measures the sparse re-ranking against the dense original and the metrics against
torchreid's evaluator."""
from .camera import (camera_group_penalty, camera_transition_adjustment, remove_camera_bias,
                     same_camera_penalty)
from .fusion import average_distances, weighted_sum
from .knn import KnnIndex, SelfKnn, farthest_distances, knn_search, l2_normalize, self_knn
from .metrics import RetrievalMetrics, evaluate_distmat, evaluate_ranked_lists
from .query_expansion import alpha_query_expansion, database_augmentation
from .rerank import jaccard_distance, k_reciprocal_rerank
from .rerank_dense import jaccard_distance_dense, k_reciprocal_rerank_dense
from .smoothing import knn_feature_smoothing
from .tracks import (blend_with_track_mean, track_mean_features, track_to_image_distances,
                     weighted_track_features)
from .visualize import metric_bars, plot_ranked_lists
from .writers import (read_aicity_track2, read_ranked_lists, read_visda_result, topk_indices,
                      write_aicity_track2, write_ranked_lists, write_visda_result)

__all__ = [
    "KnnIndex", "SelfKnn", "knn_search", "self_knn", "farthest_distances", "l2_normalize",
    "k_reciprocal_rerank", "jaccard_distance", "k_reciprocal_rerank_dense", "jaccard_distance_dense",
    "RetrievalMetrics", "evaluate_distmat", "evaluate_ranked_lists",
    "remove_camera_bias", "same_camera_penalty", "camera_group_penalty",
    "camera_transition_adjustment", "knn_feature_smoothing", "alpha_query_expansion", "database_augmentation",
    "track_mean_features", "blend_with_track_mean", "weighted_track_features",
    "track_to_image_distances", "average_distances", "weighted_sum",
    "topk_indices", "write_ranked_lists", "read_ranked_lists", "write_aicity_track2",
    "read_aicity_track2", "write_visda_result", "read_visda_result", "plot_ranked_lists", "metric_bars",
]
