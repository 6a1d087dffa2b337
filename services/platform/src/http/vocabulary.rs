//! The Dutch words of the contract's enums that several APIs share: a funding source, a type of
//! provision and a form of delivery read the same in the regie, application and provision APIs.

use crate::dutch_enum;

dutch_enum!(
    /// Where the money comes from, as the regeling names it.
    FundingSourceDto <=> kindpakket_proto::regie::FundingSource {
        National = "rijksmiddelen",
        Municipal = "gemeentelijke_fondsen",
        ExternalFunds = "externe_fondsen",
        Private = "private_partijen",
    }
);

dutch_enum!(
    /// The six types of provision.
    ProvisionTypeDto <=> kindpakket_proto::regie::ProvisionType {
        Participation = "maatschappelijke_participatie",
        School = "school",
        Transport = "vervoer",
        Subsistence = "levensonderhoud",
        Other = "overig",
        SpecialCircumstances = "bijzondere_omstandigheden",
    }
);

dutch_enum!(
    /// How a provision is delivered.
    DeliveryFormDto <=> kindpakket_proto::regie::DeliveryForm {
        InKind = "in_natura",
        Discount = "korting",
        Voucher = "tegoedbon",
        Declaration = "declaratie",
    }
);

dutch_enum!(
    /// Where a doelgroep's expected numbers come from.
    TargetGroupSourceDto <=> kindpakket_proto::regie::TargetGroupSource {
        OwnIncomeData = "eigen_inkomensgegevens",
        CbsEstimate = "cbs_schatting",
    }
);
