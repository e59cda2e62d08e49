//! Reconstruction of individual patient data from a digitised Kaplan–Meier curve and its numbers
//! at risk, by the algorithm of Guyot, Ades, Ouwens and Welton (BMC Med Res Methodol 2012;12:9).
