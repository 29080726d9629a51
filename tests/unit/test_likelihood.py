from chalicelib.domain.stages import ParcelStage
from chalicelib.rules.likelihood import SUCCESS_LIKELIHOOD, Likelihood, success_likelihood

ORDER = [Likelihood.high, Likelihood.medium, Likelihood.low, Likelihood.very_low, Likelihood.none]


def test_every_stage_has_a_likelihood():
    assert set(SUCCESS_LIKELIHOOD) == set(ParcelStage)


def test_likelihood_never_rises_as_the_parcel_moves_towards_the_buyer():
    route = [ParcelStage.picked_up, ParcelStage.in_transit, ParcelStage.at_destination_city,
             ParcelStage.at_destination_outlet, ParcelStage.out_for_delivery, ParcelStage.signed]
    ranks = [ORDER.index(success_likelihood(stage)) for stage in route]
    assert ranks == sorted(ranks)
    assert success_likelihood(ParcelStage.in_transit) == Likelihood.high
    assert success_likelihood(ParcelStage.signed) == Likelihood.none


def test_an_unknown_stage_is_not_guessed():
    assert success_likelihood(ParcelStage.unknown) == Likelihood.unknown
