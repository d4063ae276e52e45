"""MLflow "models from code" entry: logged with the model, run at load time (no pickled object)."""

from mlflow.models import set_model

from cardio_intake.model.pyfunc import ReferralPyfunc

set_model(ReferralPyfunc())
