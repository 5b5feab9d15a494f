"""3. Hydra finds this module under the `hydra_plugins` namespace and adds the package's configs."""
from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class SeqlabPosSearchPathPlugin(SearchPathPlugin):
    """Put ``seqlab_pos/conf`` on Hydra's search path, so ``task=pos`` resolves to its task/pos.yaml."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        search_path.append(provider="seqlab-pos", path="pkg://seqlab_pos.conf")
