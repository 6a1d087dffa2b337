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

dutch_enum!(
    /// What a wish asks for (`docs/overleg.md`, "Wensen").
    WishCategoryDto <=> kindpakket_proto::regie::WishCategory {
        Sport = "sport",
        CultureMusic = "cultuur_muziek",
        SwimmingLessons = "zwemles",
        SchoolSupplies = "schoolspullen",
        LaptopInternet = "laptop_internet",
        ClothingShoes = "kleding_schoenen",
        Bicycle = "fiets",
        OutingsHolidays = "uitjes_vakantie",
        Birthday = "verjaardag",
        Other = "anders",
    }
);

dutch_enum!(
    /// Whose wish it is: the child's own (entered on its behalf), a parent's, a partner's, a
    /// school's or a wijkteam's.
    WishSourceDto <=> kindpakket_proto::regie::WishSource {
        Child = "kind",
        Parent = "ouder",
        Partner = "partner",
        School = "school",
        Wijkteam = "wijkteam",
    }
);
