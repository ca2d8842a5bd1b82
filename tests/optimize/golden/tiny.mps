*SENSE:Minimize
NAME          curtailment
ROWS
 N  OBJ
 G  Slot_Pollutant_target_0_0
 G  Slot_Pollutant_target_0_1
 G  Slot_Pollutant_target_0_2
 G  Slot_Pollutant_target_0_3
 G  Slot_Pollutant_target_1_0
 G  Slot_Pollutant_target_1_1
 G  Slot_Pollutant_target_1_2
 G  Slot_Pollutant_target_1_3
 L  Enterprise_chain_0
 L  Enterprise_chain_1
 L  Enterprise_chain_2
 L  Grade_below_0
 L  Grade_below_1
 L  Grade_below_2
 L  Grade_below_3
 G  Grade_above_0
 G  Grade_above_1
 E  Loss_total
 L  Enterprise_loss_cap_0
 L  Enterprise_loss_cap_1
 L  Enterprise_loss_cap_2
COLUMNS
    Enterprise_Slot_curtailment_0_0  Slot_Pollutant_target_0_0   1.000000000000e+00
    Enterprise_Slot_curtailment_0_0  Slot_Pollutant_target_0_1   5.000000000000e-01
    Enterprise_Slot_curtailment_0_0  Enterprise_chain_0   1.000000000000e+00
    Enterprise_Slot_curtailment_0_0  Grade_below_0   1.000000000000e+00
    Enterprise_Slot_curtailment_0_0  Loss_total   1.000000000000e+01
    Enterprise_Slot_curtailment_0_0  Enterprise_loss_cap_0   1.000000000000e+01
    Enterprise_Slot_curtailment_0_0  OBJ        1.000000000000e+01
    Enterprise_Slot_curtailment_0_1  Slot_Pollutant_target_1_0   1.000000000000e+00
    Enterprise_Slot_curtailment_0_1  Slot_Pollutant_target_1_1   5.000000000000e-01
    Enterprise_Slot_curtailment_0_1  Enterprise_chain_0  -1.000000000000e+00
    Enterprise_Slot_curtailment_0_1  Grade_below_2   1.000000000000e+00
    Enterprise_Slot_curtailment_0_1  Loss_total   1.000000000000e+01
    Enterprise_Slot_curtailment_0_1  Enterprise_loss_cap_0   1.000000000000e+01
    Enterprise_Slot_curtailment_0_1  OBJ        1.000000000000e+01
    Enterprise_Slot_curtailment_1_0  Slot_Pollutant_target_0_0   2.000000000000e-01
    Enterprise_Slot_curtailment_1_0  Slot_Pollutant_target_0_1   1.000000000000e+00
    Enterprise_Slot_curtailment_1_0  Enterprise_chain_1   1.000000000000e+00
    Enterprise_Slot_curtailment_1_0  Grade_above_0   1.000000000000e+00
    Enterprise_Slot_curtailment_1_0  Loss_total   4.000000000000e+00
    Enterprise_Slot_curtailment_1_0  Enterprise_loss_cap_1   4.000000000000e+00
    Enterprise_Slot_curtailment_1_0  OBJ        4.000000000000e+00
    Enterprise_Slot_curtailment_1_1  Slot_Pollutant_target_1_0   2.000000000000e-01
    Enterprise_Slot_curtailment_1_1  Slot_Pollutant_target_1_1   1.000000000000e+00
    Enterprise_Slot_curtailment_1_1  Enterprise_chain_1  -1.000000000000e+00
    Enterprise_Slot_curtailment_1_1  Grade_above_1   1.000000000000e+00
    Enterprise_Slot_curtailment_1_1  Loss_total   4.000000000000e+00
    Enterprise_Slot_curtailment_1_1  Enterprise_loss_cap_1   4.000000000000e+00
    Enterprise_Slot_curtailment_1_1  OBJ        4.000000000000e+00
    Enterprise_Slot_curtailment_2_0  Slot_Pollutant_target_0_0   4.000000000000e-01
    Enterprise_Slot_curtailment_2_0  Slot_Pollutant_target_0_1   4.000000000000e-01
    Enterprise_Slot_curtailment_2_0  Enterprise_chain_2   1.000000000000e+00
    Enterprise_Slot_curtailment_2_0  Grade_below_1   1.000000000000e+00
    Enterprise_Slot_curtailment_2_0  Loss_total   7.000000000000e+00
    Enterprise_Slot_curtailment_2_0  Enterprise_loss_cap_2   7.000000000000e+00
    Enterprise_Slot_curtailment_2_0  OBJ        7.000000000000e+00
    Enterprise_Slot_curtailment_2_1  Slot_Pollutant_target_1_0   4.000000000000e-01
    Enterprise_Slot_curtailment_2_1  Slot_Pollutant_target_1_1   4.000000000000e-01
    Enterprise_Slot_curtailment_2_1  Enterprise_chain_2  -1.000000000000e+00
    Enterprise_Slot_curtailment_2_1  Grade_below_3   1.000000000000e+00
    Enterprise_Slot_curtailment_2_1  Loss_total   7.000000000000e+00
    Enterprise_Slot_curtailment_2_1  Enterprise_loss_cap_2   7.000000000000e+00
    Enterprise_Slot_curtailment_2_1  OBJ        7.000000000000e+00
    Grade_threshold_0  Grade_below_0  -1.000000000000e+00
    Grade_threshold_0  Grade_below_1  -1.000000000000e+00
    Grade_threshold_0  Grade_above_0  -1.000000000000e+00
    Grade_threshold_1  Grade_below_2  -1.000000000000e+00
    Grade_threshold_1  Grade_below_3  -1.000000000000e+00
    Grade_threshold_1  Grade_above_1  -1.000000000000e+00
    Total_loss  Loss_total  -1.000000000000e+00
    Total_loss  Enterprise_loss_cap_0  -8.000000000000e-01
    Total_loss  Enterprise_loss_cap_1  -8.000000000000e-01
    Total_loss  Enterprise_loss_cap_2  -8.000000000000e-01
RHS
    RHS       Slot_Pollutant_target_0_0   8.000000000000e-01
    RHS       Slot_Pollutant_target_0_1   9.000000000000e-01
    RHS       Slot_Pollutant_target_0_2   0.000000000000e+00
    RHS       Slot_Pollutant_target_0_3   0.000000000000e+00
    RHS       Slot_Pollutant_target_1_0   9.000000000000e-01
    RHS       Slot_Pollutant_target_1_1   1.000000000000e+00
    RHS       Slot_Pollutant_target_1_2   0.000000000000e+00
    RHS       Slot_Pollutant_target_1_3   0.000000000000e+00
    RHS       Enterprise_chain_0   0.000000000000e+00
    RHS       Enterprise_chain_1   0.000000000000e+00
    RHS       Enterprise_chain_2   0.000000000000e+00
    RHS       Grade_below_0   0.000000000000e+00
    RHS       Grade_below_1   0.000000000000e+00
    RHS       Grade_below_2   0.000000000000e+00
    RHS       Grade_below_3   0.000000000000e+00
    RHS       Grade_above_0   0.000000000000e+00
    RHS       Grade_above_1   0.000000000000e+00
    RHS       Loss_total   0.000000000000e+00
    RHS       Enterprise_loss_cap_0   0.000000000000e+00
    RHS       Enterprise_loss_cap_1   0.000000000000e+00
    RHS       Enterprise_loss_cap_2   0.000000000000e+00
BOUNDS
 LO BND       Enterprise_Slot_curtailment_0_0   1.000000000000e-01
 UP BND       Enterprise_Slot_curtailment_0_0   1.000000000000e+00
 LO BND       Enterprise_Slot_curtailment_0_1   2.000000000000e-01
 UP BND       Enterprise_Slot_curtailment_0_1   1.000000000000e+00
 UP BND       Enterprise_Slot_curtailment_1_0   6.000000000000e-01
 UP BND       Enterprise_Slot_curtailment_1_1   6.000000000000e-01
 LO BND       Enterprise_Slot_curtailment_2_0   5.000000000000e-01
 UP BND       Enterprise_Slot_curtailment_2_0   1.000000000000e+00
 LO BND       Enterprise_Slot_curtailment_2_1   5.000000000000e-01
 UP BND       Enterprise_Slot_curtailment_2_1   1.000000000000e+00
 UP BND       Grade_threshold_0   1.000000000000e+00
 UP BND       Grade_threshold_1   1.000000000000e+00
ENDATA
